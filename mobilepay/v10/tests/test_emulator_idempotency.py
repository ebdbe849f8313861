"""Idempotency keys on the four create POSTs (API.md section 11.2)."""

import json
import uuid

DAY = 24 * 3600


def _initiate_body(pos_id, **overrides):
    body = {"posId": pos_id, "orderId": "order-1", "amount": 12.5, "currencyCode": "DKK",
            "plannedCaptureDelay": "None"}
    body.update(overrides)
    return body


def test_same_key_same_body_replays_the_first_answer(api, emulator):
    pos_id = api.create_pos()
    key = str(uuid.uuid4())
    first = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    again = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"] == [first.json()["paymentId"]]


def test_bodies_are_compared_as_parsed_json(api):
    pos_id = api.create_pos()
    key = str(uuid.uuid4())
    body = _initiate_body(pos_id)
    first = api.create("/pos/v10/payments", body, idempotency_key=key)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    again = api.call("POST", "/pos/v10/payments", data=reordered, idempotency_key=key,
                     headers={"Content-Type": "application/json"})
    assert again.status_code == 200
    assert again.json() == first.json()


def test_same_key_other_body_is_1306(api, error):
    pos_id = api.create_pos()
    key = str(uuid.uuid4())
    assert api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key).status_code == 200
    error(api.create("/pos/v10/payments", _initiate_body(pos_id, amount=13), idempotency_key=key), 409, "1306")


def test_every_create_post_is_idempotent(api, emulator, error):
    key = str(uuid.uuid4())
    pos_body = {"merchantPosId": "till-9", "storeId": api.store_id, "name": "Till 9", "supportedBeaconTypes": ["QR"]}
    first = api.create("/pos/v10/pointofsales", pos_body, idempotency_key=key)
    assert api.create("/pos/v10/pointofsales", pos_body, idempotency_key=key).json() == first.json()
    pos_id = first.json()["posId"]
    prepare = {"posId": pos_id, "orderId": "order-9"}
    first = api.create("/pos/v10/payments/prepare", prepare, idempotency_key=key)  # same key, other endpoint
    assert first.status_code == 200
    assert api.create("/pos/v10/payments/prepare", prepare, idempotency_key=key).json() == first.json()
    error(api.create("/pos/v10/payments/prepare", {"posId": pos_id, "orderId": "order-10"}, idempotency_key=key),
          409, "1306")
    payment_id = api.captured_payment(amount=50)
    refund = {"paymentId": payment_id, "refundOrderId": "refund-9", "amount": 10, "currencyCode": "DKK"}
    first = api.create("/pos/v10/refunds", refund, idempotency_key=key)
    assert api.create("/pos/v10/refunds", refund, idempotency_key=key).json() == first.json()
    assert api.get("/pos/v10/refunds", params={"paymentId": payment_id}).json()["refundIds"] == [
        first.json()["refundId"]]
    error(api.create("/pos/v10/refunds", dict(refund, amount=11), idempotency_key=key), 409, "1306", origin=True)


def test_errors_are_replayed_too(api, error):
    pos_id = api.create_pos()
    api.initiate(pos_id)
    key = str(uuid.uuid4())
    error(api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key), 409, "1301")
    for payment_id in api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"]:
        api.post(f"/pos/v10/payments/{payment_id}/cancel")
    # The PoS is free now, but the key's first answer was 1301 and is replayed.
    replay = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    error(replay, 409, "1301")
    assert replay.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert api.create("/pos/v10/payments", _initiate_body(pos_id)).status_code == 200  # a new key works


def test_5xx_answers_are_not_stored(api, emulator):
    pos_id = api.create_pos()
    key = str(uuid.uuid4())
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="status", status=500, times=1)
    assert api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key).status_code == 500
    response = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    assert response.status_code == 200
    assert "X-Emulator-Idempotent-Replay" not in response.headers


def test_keys_are_scoped_per_client_and_merchant(api, emulator):
    key = str(uuid.uuid4())
    dk = api.create("/pos/v10/pointofsales", {"merchantPosId": "till-1", "storeId": api.store_id, "name": "T",
                                              "supportedBeaconTypes": ["QR"]}, idempotency_key=key)
    fi = api.create("/pos/v10/pointofsales", {"merchantPosId": "till-1", "storeId": emulator.demo.fi_store_id,
                                              "name": "T", "supportedBeaconTypes": ["QR"]},
                    idempotency_key=key, vat="FI90000040")
    assert fi.status_code == 200 and fi.json() != dk.json()
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.create("/pos/v10/pointofsales", {"merchantPosId": "till-1", "storeId": api.store_id, "name": "T",
                                                 "supportedBeaconTypes": ["QR"]},
                       idempotency_key=key, token=api.token("other-integrator", "secret-2"))
    assert other.status_code == 200 and other.json() != dk.json()


def test_keys_are_kept_24_hours(api, emulator, error):
    pos_id = api.create_pos()
    key = str(uuid.uuid4())
    first = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key).json()["paymentId"]
    api.post(f"/pos/v10/payments/{first}/cancel")
    emulator.advance_clock(DAY - 60)
    assert api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key).json()["paymentId"] == first
    emulator.advance_clock(120)
    response = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    assert response.status_code == 200
    assert response.json()["paymentId"] != first
