"""Points of sale: create, find, read, delete, check-in polling (API.md sections 8.2, 9)."""

import uuid

import pytest

FIFTEEN_DIGITS = "123456789012345"


def _pos_body(api, **overrides):
    body = {"merchantPosId": "pos-" + uuid.uuid4().hex[:8], "storeId": api.store_id, "name": "Kasse 1",
            "beaconId": None, "callbackAlias": None, "supportedBeaconTypes": ["QR", "NFC"],
            "requirePaymentBeforeCheckin": False}
    body.update(overrides)
    return body


def test_create_pos_generates_a_beacon(api):
    body = _pos_body(api)
    response = api.create("/pos/v10/pointofsales", body)
    assert response.status_code == 200
    assert set(response.json()) == {"posId"}
    pos = api.pos(response.json()["posId"])
    assert pos["posId"] == response.json()["posId"]
    assert uuid.UUID(pos["beaconId"]) and pos["beaconId"] == pos["beaconId"].lower()
    assert pos["merchantPosId"] == body["merchantPosId"]
    assert pos["storeId"] == api.store_id
    assert pos["name"] == "Kasse 1"
    assert pos["callbackAlias"] is None
    assert pos["supportedBeaconTypes"] == ["QR", "NFC"]
    assert pos["requirePaymentBeforeCheckin"] is False


def test_create_pos_with_given_beacons(api):
    pos_id = api.create_pos(beaconId=FIFTEEN_DIGITS, callbackAlias="odoo", requirePaymentBeforeCheckin=True)
    pos = api.pos(pos_id)
    assert pos["beaconId"] == FIFTEEN_DIGITS
    assert pos["callbackAlias"] == "odoo"
    assert pos["requirePaymentBeforeCheckin"] is True
    guid = str(uuid.uuid4()).upper()
    assert api.pos(api.create_pos(beaconId=guid))["beaconId"] == guid.lower()


@pytest.mark.parametrize("field, value, code", [
    ("beaconId", "12345", "1100"),
    ("beaconId", "1234567890123456", "1100"),
    ("beaconId", "not-a-guid-at-all", "1100"),
    ("merchantPosId", "", "1111"),
    ("merchantPosId", "x" * 37, "1111"),
    ("merchantPosId", "line\nbreak", "1111"),
    ("name", "", "1112"),
    ("name", "emoji \U0001F600", "1112"),
    ("callbackAlias", "a" * 37, "1116"),
    ("supportedBeaconTypes", [], "1099"),
    ("supportedBeaconTypes", ["QR", "QR"], "1099"),
    ("supportedBeaconTypes", ["BluetoothMP1"], "1099"),
    ("storeId", "not-a-guid", "1099"),
    ("requirePaymentBeforeCheckin", "yes", "1099"),
])
def test_create_pos_validation(api, error, field, value, code):
    response = api.create("/pos/v10/pointofsales", _pos_body(api, **{field: value}), check_request=False)
    error(response, 400, code)


def test_create_pos_required_properties(api, error):
    for field, code in (("merchantPosId", "1111"), ("name", "1112"), ("storeId", "1099"),
                        ("supportedBeaconTypes", "1099")):
        body = _pos_body(api)
        del body[field]
        error(api.create("/pos/v10/pointofsales", body, check_request=False), 400, code)


def test_create_pos_store_errors(api, emulator, error):
    error(api.create("/pos/v10/pointofsales", _pos_body(api, storeId=str(uuid.uuid4()))), 409, "1002")
    error(api.create("/pos/v10/pointofsales", _pos_body(api, storeId=emulator.demo.fi_store_id)), 403, "1403")


def test_merchant_pos_id_is_unique_per_integrator_and_merchant(api, emulator, error):
    pos_id = api.create_pos(merchantPosId="till-1")
    error(api.create("/pos/v10/pointofsales", _pos_body(api, merchantPosId="till-1")), 409, "1200")
    # Another merchant (FI) of the same integrator may use the same merchantPosId...
    fi_body = _pos_body(api, merchantPosId="till-1", storeId=emulator.demo.fi_store_id)
    assert api.create("/pos/v10/pointofsales", fi_body, vat="FI90000040").status_code == 200
    # ...and so may another integrator for the same merchant.
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    assert api.create("/pos/v10/pointofsales", _pos_body(api, merchantPosId="till-1"), token=other).status_code == 200
    # Once deleted, the id is free again.
    assert api.delete(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
    assert api.create("/pos/v10/pointofsales", _pos_body(api, merchantPosId="till-1")).status_code == 200


def test_beacon_is_unique_globally_among_active_pos(api, emulator, error):
    pos_id = api.create_pos(beaconId=FIFTEEN_DIGITS)
    error(api.create("/pos/v10/pointofsales", _pos_body(api, beaconId=FIFTEEN_DIGITS)), 409, "1202")
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    error(api.create("/pos/v10/pointofsales", _pos_body(api, beaconId=FIFTEEN_DIGITS), token=other), 409, "1202")
    api.delete(f"/pos/v10/pointofsales/{pos_id}")
    assert api.create("/pos/v10/pointofsales", _pos_body(api, beaconId=FIFTEEN_DIGITS)).status_code == 200


def test_find_pos_ids(api, emulator, error):
    first = api.create_pos(merchantPosId="till-1", beaconId=FIFTEEN_DIGITS)
    second = api.create_pos(merchantPosId="till-2")
    other_store = emulator.add_store("DK90000028", "MPPOS12345", "00002")
    third = api.create_pos(merchantPosId="till-3", storeId=other_store)
    assert api.get("/pos/v10/pointofsales", params={"merchantPosId": "till-2"}).json() == {"posIds": [second]}
    assert api.get("/pos/v10/pointofsales", params={"beaconId": FIFTEEN_DIGITS}).json() == {"posIds": [first]}
    assert api.get("/pos/v10/pointofsales", params={"storeId": api.store_id}).json() == {"posIds": [first, second]}
    assert api.get("/pos/v10/pointofsales", params={"storeId": other_store}).json() == {"posIds": [third]}
    assert api.get("/pos/v10/pointofsales",
                   params={"storeId": other_store, "merchantPosId": "till-1"}).json() == {"posIds": []}
    assert api.get("/pos/v10/pointofsales", params={"merchantPosId": "nope"}).json() == {"posIds": []}
    error(api.get("/pos/v10/pointofsales"), 400, "1121")
    # Deleted PoSes are not listed; other merchants' PoSes neither.
    api.delete(f"/pos/v10/pointofsales/{second}")
    assert api.get("/pos/v10/pointofsales", params={"storeId": api.store_id}).json() == {"posIds": [first]}
    assert api.get("/pos/v10/pointofsales", vat="FI90000040",
                   params={"merchantPosId": "till-1"}).json() == {"posIds": []}


def test_delete_pos(api, error):
    pos_id = api.create_pos()
    response = api.delete(f"/pos/v10/pointofsales/{pos_id}")
    assert response.status_code == 200
    assert response.content == b""
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 404
    assert api.delete(f"/pos/v10/pointofsales/{pos_id}").status_code == 404  # deleting again
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").status_code == 404
    assert api.delete(f"/pos/v10/pointofsales/{uuid.uuid4()}").status_code == 404
    error(api.create("/pos/v10/payments", {"posId": pos_id, "orderId": "o", "amount": 1, "currencyCode": "DKK",
                                           "plannedCaptureDelay": "None"}), 409, "1000")


def test_pos_of_another_integrator_or_merchant(api, emulator, error):
    pos_id = api.create_pos()
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    error(api.get(f"/pos/v10/pointofsales/{pos_id}", token=other), 403, "1400")
    error(api.delete(f"/pos/v10/pointofsales/{pos_id}", token=other), 403, "1400")
    error(api.get(f"/pos/v10/pointofsales/{pos_id}/checkin", token=other), 403, "1400")
    # Same integrator acting for another merchant.
    error(api.get(f"/pos/v10/pointofsales/{pos_id}", vat="FI90000040"), 403, "1410")
    error(api.get(f"/pos/v10/pointofsales/{pos_id}/checkin", vat="FI90000040"), 403, "1410")
    error(api.delete(f"/pos/v10/pointofsales/{pos_id}", vat="FI90000040"), 403, "1409")
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 200


def test_checkin_polling(api, emulator):
    pos_id = api.create_pos()
    beacon = api.beacon(pos_id)
    response = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin")
    assert response.json() == {"isUserCheckedIn": False, "pollDelayInMs": 50}
    api.checkin(beacon, "+4520031804")  # the loyalty test user
    body = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()
    assert body["isUserCheckedIn"] is True
    assert body["loyaltyIds"] == ["123456"]
    assert len(body["customerToken"]) == 40
    assert len(body["customerReceiptToken"]) == 32
    assert body["pollDelayInMs"] == 50
    api.checkin(beacon, "+4520031801")  # the newest check-in wins; no loyalty for this user
    body = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()
    assert body["loyaltyIds"] == []
    assert body["customerToken"] != ""


def test_loyalty_is_null_until_looked_up(api, emulator):
    emulator.settings.loyalty_lookup_delay_s = 30
    pos_id = api.create_pos()
    api.checkin(api.beacon(pos_id), "+4520031804")
    body = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()
    assert body["isUserCheckedIn"] is True
    assert body["loyaltyIds"] is None and body["customerReceiptToken"] is None
    assert body["customerToken"]
    emulator.advance_clock(31)
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["loyaltyIds"] == ["123456"]


def test_checkin_lives_for_its_ttl(api, emulator):
    pos_id = api.create_pos()
    api.checkin(api.beacon(pos_id))
    emulator.advance_clock(5 * 60 - 1)
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["isUserCheckedIn"] is True
    emulator.advance_clock(2)
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["isUserCheckedIn"] is False


def test_reserved_payments_of_a_deleted_pos_can_be_finished(api):
    pos_id, _, captured = api.reserved_payment(amount=10)
    beacon2 = api.beacon(pos2 := api.create_pos())
    cancelled = api.initiate(pos2)
    api.checkin(beacon2)
    api.accept(beacon2)
    assert api.delete(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
    assert api.delete(f"/pos/v10/pointofsales/{pos2}").status_code == 200
    assert api.status(captured) == "Reserved"
    assert api.post(f"/pos/v10/payments/{captured}/capture", {"amount": 10}).status_code == 200
    assert api.post(f"/pos/v10/payments/{cancelled}/cancel").status_code == 200
    assert api.status(captured) == "Captured"
    assert api.status(cancelled) == "CancelledByClient"
