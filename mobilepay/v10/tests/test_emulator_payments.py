"""Payments: the state machine of API.md section 10.1/10.2 (P1-P13) and the rules of section 11."""

import re
import uuid
from datetime import datetime, timedelta

import pytest

from mobilepay.v10.emulator import ControlError

DK_USER = "+4520031801"
DEBIT_USER = "+4520031802"
LOYALTY_USER = "+4520031804"
PARTIAL_USER = "+4520031805"
FI_PARTIAL_USER = "+358200318005"
DAY = 24 * 3600


def _initiate_body(pos_id, **overrides):
    body = {"posId": pos_id, "orderId": "order-1", "amount": 12.5, "currencyCode": "DKK",
            "plannedCaptureDelay": "None"}
    body.update(overrides)
    return body


@pytest.fixture
def pos(api):
    pos_id = api.create_pos()
    return pos_id, api.beacon(pos_id)


# ------------------------------------------------------------------------------------------ transitions


def test_p1_p3_p8_p9_initiate_checkin_accept_capture(api, emulator, pos):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id, amount=12.5, merchantPaymentLabel="Shop 1",
                              restrictions={"debitCardDisallowed": False, "creditCardDisallowed": False})
    body = api.payment(payment_id)
    assert body["status"] == "Initiated"
    assert body["amount"] == 12.5 and body["currencyCode"] == "DKK"
    assert body["merchantPaymentLabel"] == "Shop 1"
    assert body["plannedCaptureDelay"] == "None"
    assert body["restrictions"] == {"debitCardDisallowed": False, "creditCardDisallowed": False}
    assert "customerToken" not in body and "loyaltyIds" not in body and "customerReceiptToken" not in body
    assert "partialCapturePossible" not in body
    api.checkin(beacon, LOYALTY_USER)
    body = api.payment(payment_id)
    assert body["status"] == "IssuedToUser"
    assert body["loyaltyIds"] == ["123456"] and len(body["customerToken"]) == 40
    assert "partialCapturePossible" not in body
    api.accept(beacon, LOYALTY_USER)
    body = api.payment(payment_id)
    assert body["status"] == "Reserved"
    assert body["partialCapturePossible"] is False
    assert api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 12.5}).status_code == 200
    body = api.payment(payment_id)
    assert body["status"] == "Captured"
    assert "partialCapturePossible" not in body and "paymentExpiresAt" not in body
    assert emulator.payment_history(payment_id) == ["P1", "P3", "P8", "P9"]


def test_p2_initiate_while_a_user_is_checked_in(api, emulator, pos):
    pos_id, beacon = pos
    api.checkin(beacon)
    payment_id = api.initiate(pos_id)
    assert api.status(payment_id) == "IssuedToUser"
    assert emulator.payment_history(payment_id) == ["P2"]
    # The check-in was consumed by the payment: the next payment starts Initiated.
    api.accept(beacon)
    assert api.status(api.initiate(pos_id)) == "Initiated"


def test_p4_p5_p7_prepare_pair_ready(api, emulator, pos):
    pos_id, beacon = pos
    payment_id = api.prepare(pos_id, order_id="order-7")
    body = api.payment(payment_id)
    assert body["status"] == "Prepared"
    assert body["orderId"] == "order-7"
    for missing in ("amount", "currencyCode", "plannedCaptureDelay", "restrictions", "merchantPaymentLabel",
                    "customerToken", "loyaltyIds", "partialCapturePossible"):
        assert missing not in body
    api.checkin(beacon, LOYALTY_USER)
    body = api.payment(payment_id)
    assert body["status"] == "Paired"
    assert body["loyaltyIds"] == ["123456"]
    assert api.ready(payment_id, amount=9.95, currency="EUR").status_code == 200
    body = api.payment(payment_id)
    assert body["status"] == "IssuedToUser"
    assert body["amount"] == 9.95 and body["currencyCode"] == "EUR"
    assert emulator.payment_history(payment_id) == ["P4", "P5", "P7"]


def test_p4_p5_prepare_while_a_user_is_checked_in_pairs_at_once(api, emulator, pos):
    pos_id, beacon = pos
    api.checkin(beacon)
    payment_id = api.prepare(pos_id)
    assert api.status(payment_id) == "Paired"
    assert emulator.payment_history(payment_id) == ["P4", "P5"]


def test_p6_ready_before_anyone_paired(api, emulator, pos):
    pos_id, beacon = pos
    payment_id = api.prepare(pos_id)
    assert api.ready(payment_id).status_code == 200
    assert api.status(payment_id) == "Initiated"
    api.checkin(beacon)
    api.accept(beacon)
    assert api.status(payment_id) == "Reserved"
    assert emulator.payment_history(payment_id) == ["P4", "P6", "P3", "P8"]


def test_p10_reservation_expires_after_7_days(api, emulator):
    _, _, payment_id = api.reserved_payment()
    expires = api.payment(payment_id)["paymentExpiresAt"]
    emulator.advance_clock(7 * DAY - 10)
    assert api.status(payment_id) == "Reserved"
    emulator.advance_clock(20)
    body = api.payment(payment_id)
    assert body["status"] == "ExpiredAndCancelled"
    assert "partialCapturePossible" not in body
    assert emulator.payment_history(payment_id)[-1] == "P10"
    assert _parse(expires) < emulator.clock.now()


def test_p10_expire_reservation_control(api, emulator):
    _, _, payment_id = api.reserved_payment()
    emulator.expire_reservation(payment_id)
    assert api.status(payment_id) == "ExpiredAndCancelled"


@pytest.mark.parametrize("state", ["Prepared", "Paired", "Initiated", "IssuedToUser", "Reserved"])
def test_p11_cancel_by_client_from_every_open_state(api, emulator, pos, state):
    pos_id, beacon = pos
    payment_id = _payment_in_state(api, pos_id, beacon, state)
    assert api.status(payment_id) == state
    response = api.post(f"/pos/v10/payments/{payment_id}/cancel")
    assert response.status_code == 200 and response.content == b""
    assert api.status(payment_id) == "CancelledByClient"
    assert emulator.payment_history(payment_id)[-1] == "P11"
    # Cancelling again is fine.
    assert api.post(f"/pos/v10/payments/{payment_id}/cancel").status_code == 200


@pytest.mark.parametrize("state", ["Paired", "IssuedToUser"])
def test_p12_user_declines(api, emulator, pos, state):
    pos_id, beacon = pos
    payment_id = _payment_in_state(api, pos_id, beacon, state)
    api.decline(beacon)
    assert api.status(payment_id) == "CancelledByUser"
    assert emulator.payment_history(payment_id)[-1] == "P12"


@pytest.mark.parametrize("state", ["Prepared", "Paired", "Initiated", "IssuedToUser"])
def test_p13_inactivity_timeout(api, emulator, pos, state):
    pos_id, beacon = pos
    payment_id = _payment_in_state(api, pos_id, beacon, state)
    expires = _parse(api.payment(payment_id)["paymentExpiresAt"])
    emulator.advance_clock(5 * 60 - 5)
    assert api.status(payment_id) == state
    emulator.advance_clock(10)
    assert api.status(payment_id) == "CancelledByMobilePay"
    assert emulator.payment_history(payment_id)[-1] == "P13"
    assert expires <= emulator.clock.now()
    # The PoS is free again.
    assert api.initiate(pos_id)


def test_p13_cancel_by_mobilepay_control(api, emulator, pos):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id)
    emulator.cancel_by_mobilepay(payment_id)
    assert api.status(payment_id) == "CancelledByMobilePay"
    with pytest.raises(ControlError, match="CancelledByMobilePay"):
        emulator.cancel_by_mobilepay(payment_id)  # already final


def test_p13_failed_reservation(api, emulator, pos):
    pos_id, beacon = pos
    emulator.add_test_user("+4511223344", card="Credit", reservation_fails=True)
    payment_id = api.initiate(pos_id)
    api.checkin(beacon, "+4511223344")
    api.accept(beacon, "+4511223344")
    assert api.status(payment_id) == "CancelledByMobilePay"


def test_final_states_cannot_be_cancelled(api, emulator, error):
    for finish in ("capture", "decline", "mobilepay", "expire"):
        pos_id, beacon, payment_id = _final_payment(api, emulator, finish)
        error(api.post(f"/pos/v10/payments/{payment_id}/cancel"), 409, "1300")


# ------------------------------------------------------------------------------------------ rules and errors


def test_one_active_payment_per_pos(api, emulator, pos, error):
    pos_id, beacon = pos
    first = api.initiate(pos_id)
    error(api.create("/pos/v10/payments", _initiate_body(pos_id)), 409, "1301")
    error(api.create("/pos/v10/payments/prepare", {"posId": pos_id, "orderId": "o-2"}), 409, "1301")
    # Recovery: find the id, cancel, initiate again.
    ids = api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"]
    assert ids == [first]
    api.post(f"/pos/v10/payments/{first}/cancel")
    second = api.initiate(pos_id)
    api.checkin(beacon)
    api.accept(beacon)
    # Reserved does not block: any number of Reserved payments can coexist.
    third = api.initiate(pos_id)
    assert api.status(second) == "Reserved" and api.status(third) == "Initiated"


def test_pos_errors_on_initiate_and_prepare(api, emulator, error):
    for path, body in (("/pos/v10/payments", _initiate_body(str(uuid.uuid4()))),
                       ("/pos/v10/payments/prepare", {"posId": str(uuid.uuid4()), "orderId": "o"})):
        error(api.create(path, body), 409, "1000")
    store = emulator.add_store("DK90000028", "MPPOS12345", "00002", activated=False)
    pos_id = api.create_pos(storeId=store)
    error(api.create("/pos/v10/payments", _initiate_body(pos_id)), 409, "1204")
    error(api.create("/pos/v10/payments/prepare", {"posId": pos_id, "orderId": "o"}), 409, "1204")
    emulator.set_store_activated(store, True)
    assert api.initiate(pos_id)
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    error(api.create("/pos/v10/payments", _initiate_body(pos_id), token=other), 403, "1400")
    error(api.create("/pos/v10/payments/prepare", {"posId": pos_id, "orderId": "o"}, token=other), 403, "1400")


@pytest.mark.parametrize("field, value, code", [
    ("amount", 0, "1102"),
    ("amount", -5, "1102"),
    ("amount", 12.345, "1102"),
    ("amount", "12.50", "1102"),
    ("amount", True, "1102"),
    ("orderId", "", "1113"),
    ("orderId", "o" * 37, "1113"),
    ("orderId", "tab\there", "1113"),
    ("merchantPaymentLabel", "l" * 37, "1117"),
    ("currencyCode", "SEK", "1099"),
    ("plannedCaptureDelay", "Soon", "1099"),
    ("posId", "not-a-guid", "1099"),
    ("restrictions", {"debitCardDisallowed": "no"}, "1099"),
])
def test_initiate_validation(api, pos, error, field, value, code):
    response = api.create("/pos/v10/payments", _initiate_body(pos[0], **{field: value}), check_request=False)
    error(response, 400, code)


def test_initiate_required_properties(api, pos, error):
    for field, code in (("amount", "1102"), ("orderId", "1113"), ("currencyCode", "1099"),
                        ("plannedCaptureDelay", "1099"), ("posId", "1099")):
        body = _initiate_body(pos[0])
        del body[field]
        error(api.create("/pos/v10/payments", body, check_request=False), 400, code)
    error(api.create("/pos/v10/payments", [1, 2], check_request=False), 400, "1099")
    response = api.call("POST", "/pos/v10/payments", data=b"{not json", idempotency_key="k-1",
                        headers={"Content-Type": "application/json"}, check_request=False)
    error(response, 400, "1099")


def test_unknown_properties_are_ignored_unless_strict(api, emulator, pos, error):
    pos_id = pos[0]
    body = _initiate_body(pos_id, extra="ignored", restrictions={"debitCardDisallowed": True, "minimumAge": 18})
    body["pos_id"] = "snake_case names are unknown properties too"
    response = api.create("/pos/v10/payments", body, check_request=False)
    assert response.status_code == 200
    payment = api.payment(response.json()["paymentId"])
    assert payment["restrictions"] == {"debitCardDisallowed": True}
    api.post(f"/pos/v10/payments/{payment['paymentId']}/cancel")
    emulator.settings.strict_unknown_properties = True
    error(api.create("/pos/v10/payments", body, check_request=False), 400, "1099")
    error(api.create("/pos/v10/payments", _initiate_body(pos_id, restrictions={"minimumAge": 18}),
                     check_request=False), 400, "1099")


def test_amounts_with_up_to_two_decimals(api, pos):
    payment_id = api.initiate(pos[0], amount=0.01)
    assert api.payment(payment_id)["amount"] == 0.01
    api.post(f"/pos/v10/payments/{payment_id}/cancel")
    payment_id = api.initiate(pos[0], amount=1000)
    assert api.payment(payment_id)["amount"] == 1000


def test_ready_errors(api, emulator, pos, error):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id)
    error(api.ready(payment_id), 409, "1303")  # Initiated is not Prepared/Paired
    api.post(f"/pos/v10/payments/{payment_id}/cancel")
    payment_id = api.prepare(pos_id)
    assert api.ready(payment_id).status_code == 200
    error(api.ready(payment_id), 409, "1303")  # ready twice
    api.post(f"/pos/v10/payments/{payment_id}/cancel")
    payment_id = api.prepare(pos_id)
    error(api.post(f"/pos/v10/payments/{payment_id}/ready", {"amount": 0, "currencyCode": "DKK",
                                                            "plannedCaptureDelay": "None"}, check_request=False),
          400, "1102")
    error(api.post(f"/pos/v10/payments/{payment_id}/ready", {"amount": 5, "currencyCode": "DKK",
                                                            "plannedCaptureDelay": "None",
                                                            "merchantPaymentLabel": "x" * 40},
                   check_request=False), 400, "1117")
    error(api.post(f"/pos/v10/payments/{payment_id}/ready", {"amount": 5, "currencyCode": "DKK"},
                   check_request=False), 400, "1099")
    assert api.ready(str(uuid.uuid4())).status_code == 404
    assert api.status(payment_id) == "Prepared"


def test_capture_rules(api, emulator, pos, error):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id, amount=100)
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 100}), 409, "1304")
    api.checkin(beacon)
    api.accept(beacon)
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 100.01}), 409, "1305")
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 50}), 409, "1308")
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 0}, check_request=False), 400, "1102")
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {}, check_request=False), 400, "1102")
    assert api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 100}).status_code == 200
    # Repeating the capture with the same amount is fine; another amount is 1307.
    assert api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 100.00}).status_code == 200
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 99}), 409, "1307")
    assert api.post(f"/pos/v10/payments/{uuid.uuid4()}/capture", {"amount": 1}).status_code == 404


@pytest.mark.parametrize("phone", [PARTIAL_USER, FI_PARTIAL_USER])
def test_partial_capture_for_the_partial_capture_test_user(api, emulator, phone, error):
    _, _, payment_id = api.reserved_payment(amount=100, phone=phone)
    assert api.payment(payment_id)["partialCapturePossible"] is True
    assert api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 60}).status_code == 200
    assert api.status(payment_id) == "Captured"
    assert api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 60}).status_code == 200
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 100}), 409, "1307")


def test_card_restrictions_refuse_the_accept(api, pos, error):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id, restrictions={"debitCardDisallowed": True})
    api.checkin(beacon, DEBIT_USER)
    response = api.simulate("acceptpayment", {"beaconId": beacon, "phoneNumber": DEBIT_USER})
    error(response, 500, "2005")
    assert api.status(payment_id) == "IssuedToUser"
    # A credit-card user can pay it.
    api.checkin(beacon, DK_USER)
    api.accept(beacon, DK_USER)
    assert api.status(payment_id) == "Reserved"
    pos_id2 = api.create_pos()
    beacon2 = api.beacon(pos_id2)
    payment_id = api.initiate(pos_id2, restrictions={"creditCardDisallowed": True})
    api.checkin(beacon2, DK_USER)
    error(api.simulate("acceptpayment", {"beaconId": beacon2, "phoneNumber": DK_USER}), 500, "2005")
    api.checkin(beacon2, DEBIT_USER)
    api.accept(beacon2, DEBIT_USER)
    assert api.status(payment_id) == "Reserved"


def test_payment_expires_at_is_iso_8601_with_offset(api, emulator):
    _, _, payment_id = api.reserved_payment()
    value = api.payment(payment_id)["paymentExpiresAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", value), value
    delta = _parse(value) - emulator.clock.now()
    assert timedelta(days=7) - timedelta(seconds=5) < delta <= timedelta(days=7)


# ------------------------------------------------------------------------------------------ GET /payments


def test_find_payment_ids(api, emulator, error):
    pos_a = api.create_pos()
    beacon_a = api.beacon(pos_a)
    pos_b = api.create_pos()
    captured = api.initiate(pos_a, orderId="order-A", amount=10)
    api.checkin(beacon_a)
    api.accept(beacon_a)
    api.post(f"/pos/v10/payments/{captured}/capture", {"amount": 10})
    reserved = api.initiate(pos_a, orderId="order-B")
    api.checkin(beacon_a)
    api.accept(beacon_a)
    active = api.initiate(pos_a, orderId="order-C")
    other = api.initiate(pos_b, orderId="order-D")
    assert api.get("/pos/v10/payments", params={"posId": pos_a}).json() == {"paymentIds": [reserved, active]}
    assert api.get("/pos/v10/payments", params={"posId": pos_a, "state": "Captured"}).json() == {
        "paymentIds": [captured]}
    assert api.get("/pos/v10/payments", params={"orderId": "order-A", "state": "Captured"}).json() == {
        "paymentIds": [captured]}
    assert api.get("/pos/v10/payments", params={"orderId": "order-D"}).json() == {"paymentIds": [other]}
    assert api.get("/pos/v10/payments", params={"orderId": "order-D", "posId": pos_a}).json() == {"paymentIds": []}
    assert api.get("/pos/v10/payments", params={"orderId": "order-A"}).json() == {"paymentIds": []}
    error(api.get("/pos/v10/payments"), 400, "1109")
    error(api.get("/pos/v10/payments", params={"state": "Captured"}), 400, "1109")
    error(api.get("/pos/v10/payments", params={"posId": pos_a, "state": "Reserved"}, check_request=False),
          400, "1099")
    # Other merchants see nothing.
    assert api.get("/pos/v10/payments", params={"posId": pos_a}, vat="FI90000040").json() == {"paymentIds": []}


def test_find_payment_ids_by_order_follows_the_latest_payment(api, pos):
    pos_id, beacon = pos
    first = api.initiate(pos_id, orderId="same-order")
    api.post(f"/pos/v10/payments/{first}/cancel")
    second = api.initiate(pos_id, orderId="same-order")
    assert api.get("/pos/v10/payments", params={"orderId": "same-order"}).json() == {"paymentIds": [second]}


# ------------------------------------------------------------------------------------------ ownership


def test_payment_of_another_integrator_or_merchant(api, emulator, pos, error):
    pos_id, beacon = pos
    payment_id = api.prepare(pos_id)
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    error(api.get(f"/pos/v10/payments/{payment_id}", token=other), 403, "1401")
    error(api.ready(payment_id, token=other), 403, "1401")
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 1}, token=other), 403, "1401")
    error(api.post(f"/pos/v10/payments/{payment_id}/cancel", token=other), 403, "1401")
    error(api.get(f"/pos/v10/payments/{payment_id}", vat="FI90000040"), 403, "1411")
    error(api.ready(payment_id, vat="FI90000040"), 403, "1406")
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 1}, vat="FI90000040"), 403, "1407")
    error(api.post(f"/pos/v10/payments/{payment_id}/cancel", vat="FI90000040"), 403, "1408")
    assert api.status(payment_id) == "Prepared"
    assert api.get(f"/pos/v10/payments/{uuid.uuid4()}").status_code == 404


# ------------------------------------------------------------------------------------------ helpers


def _payment_in_state(api, pos_id, beacon, state):
    if state in ("Prepared", "Paired"):
        payment_id = api.prepare(pos_id)
        if state == "Paired":
            api.checkin(beacon)
        return payment_id
    payment_id = api.initiate(pos_id)
    if state in ("IssuedToUser", "Reserved"):
        api.checkin(beacon)
    if state == "Reserved":
        api.accept(beacon)
    return payment_id


def _final_payment(api, emulator, finish):
    pos_id = api.create_pos()
    beacon = api.beacon(pos_id)
    payment_id = api.initiate(pos_id, amount=10)
    api.checkin(beacon)
    if finish == "decline":
        api.decline(beacon)
    elif finish == "mobilepay":
        emulator.cancel_by_mobilepay(payment_id)
    else:
        api.accept(beacon)
        if finish == "capture":
            api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 10})
        else:
            emulator.expire_reservation(payment_id)
    return pos_id, beacon, payment_id


def _parse(value):
    return datetime.fromisoformat(value[:26] + value[27:])
