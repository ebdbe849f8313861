"""Refunds: the state machine of API.md section 10.3 (R1-R6) and the rules of section 11.7."""

import time
import uuid

import pytest

DAY = 24 * 3600


def _wait_reserved(api, refund_id, timeout=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.refund_status(refund_id) == "Reserved":
            return
        time.sleep(0.03)
    raise AssertionError(f"refund {refund_id} did not become Reserved")


def test_r1_r2_r5_create_reserve_capture(api, emulator):
    payment_id = api.captured_payment(amount=100)
    response = api.create_refund(payment_id, 25.5)
    assert response.status_code == 200
    assert set(response.json()) == {"refundId"}
    refund_id = response.json()["refundId"]
    body = api.get(f"/pos/v10/refunds/{refund_id}").json()
    assert body["status"] == "Initiated"
    assert body["paymentId"] == payment_id
    assert body["amount"] == 25.5 and body["currencyCode"] == "DKK"
    assert body["pollDelayInMs"] == 20
    assert body["refundOrderId"].startswith("refund-")
    _wait_reserved(api, refund_id)
    response = api.post(f"/pos/v10/refunds/{refund_id}/capture")
    assert response.status_code == 200 and response.content == b""
    assert api.refund_status(refund_id) == "Captured"
    assert emulator.refund_history(refund_id) == ["R1", "R2", "R5"]
    # A repeated capture is fine.
    assert api.post(f"/pos/v10/refunds/{refund_id}/capture").status_code == 200


def test_r2_by_the_clock(api, emulator):
    emulator.settings.refund_reservation_delay_s = 60
    refund_id = api.refund(api.captured_payment(), 10)
    emulator.advance_clock(59)
    assert api.refund_status(refund_id) == "Initiated"
    emulator.advance_clock(2)
    assert api.refund_status(refund_id) == "Reserved"


def test_r3_cancelled_by_mobilepay(api, emulator, error):
    emulator.settings.refund_reservation_delay_s = None  # stays Initiated until told
    payment_id = api.captured_payment(amount=100)
    refund_id = api.refund(payment_id, 100)
    emulator.cancel_refund_by_mobilepay(refund_id)
    assert api.refund_status(refund_id) == "CancelledByMobilePay"
    assert emulator.refund_history(refund_id) == ["R1", "R3"]
    error(api.post(f"/pos/v10/refunds/{refund_id}/capture"), 409, "1351", origin=True)
    error(api.post(f"/pos/v10/refunds/{refund_id}/cancel"), 409, "1352", origin=True)
    # A refund MobilePay cancelled does not count: the full amount can be refunded again.
    assert api.create_refund(payment_id, 100).status_code == 200


@pytest.mark.parametrize("reserved", [False, True])
def test_r4_cancel_by_client(api, emulator, reserved):
    emulator.settings.refund_reservation_delay_s = None
    refund_id = api.refund(api.captured_payment(), 10)
    if reserved:
        emulator.reserve_refund(refund_id)
    response = api.post(f"/pos/v10/refunds/{refund_id}/cancel")
    assert response.status_code == 200 and response.content == b""
    assert api.refund_status(refund_id) == "CancelledByClient"
    assert emulator.refund_history(refund_id)[-1] == "R4"
    assert api.post(f"/pos/v10/refunds/{refund_id}/cancel").status_code == 200  # again: fine


def test_r6_auto_capture_after_24_hours(api, emulator, error):
    refund_id = api.refund(api.captured_payment(), 10)
    _wait_reserved(api, refund_id)
    emulator.advance_clock(DAY - 10)
    assert api.refund_status(refund_id) == "Reserved"
    emulator.advance_clock(20)
    assert api.refund_status(refund_id) == "ExpiredAndCaptured"
    assert emulator.refund_history(refund_id) == ["R1", "R2", "R6"]
    error(api.post(f"/pos/v10/refunds/{refund_id}/cancel"), 409, "1352", origin=True)
    error(api.post(f"/pos/v10/refunds/{refund_id}/capture"), 409, "1351", origin=True)


def test_r2_and_r6_in_one_clock_jump(api, emulator):
    emulator.settings.refund_reservation_delay_s = 30
    refund_id = api.refund(api.captured_payment(), 10)
    emulator.advance_clock(2 * DAY)
    assert api.refund_status(refund_id) == "ExpiredAndCaptured"
    assert emulator.refund_history(refund_id) == ["R1", "R2", "R6"]


def test_capture_needs_reserved(api, emulator, error):
    emulator.settings.refund_reservation_delay_s = None
    refund_id = api.refund(api.captured_payment(), 10)
    error(api.post(f"/pos/v10/refunds/{refund_id}/capture"), 409, "1351", origin=True)
    response = api.post(f"/pos/v10/refunds/{uuid.uuid4()}/capture")
    error(response, 404, "1004", origin=True)
    assert api.post(f"/pos/v10/refunds/{uuid.uuid4()}/cancel").status_code == 404
    assert api.get(f"/pos/v10/refunds/{uuid.uuid4()}").status_code == 404


def test_refund_needs_a_captured_payment(api, emulator, error):
    error(api.create_refund(str(uuid.uuid4())), 409, "1001", origin=True)
    _, _, reserved = api.reserved_payment()
    error(api.create_refund(reserved), 409, "1354", origin=True)


def test_refund_currency_must_match(api, error):
    payment_id = api.captured_payment(amount=50, currency="EUR")
    error(api.create_refund(payment_id, 10, currency="DKK"), 409, "1365", origin=True)
    assert api.create_refund(payment_id, 10, currency="EUR").status_code == 200


def test_refund_window_is_90_days_after_capture(api, emulator, error):
    payment_id = api.captured_payment(amount=50)
    emulator.advance_clock(90 * DAY - 60)
    assert api.create_refund(payment_id, 10).status_code == 200
    emulator.advance_clock(120)
    error(api.create_refund(payment_id, 10), 409, "1366", origin=True)


def test_refunds_cannot_exceed_the_captured_amount(api, emulator, error):
    emulator.settings.refund_reservation_delay_s = None
    payment_id = api.captured_payment(amount=100)
    first = api.refund(payment_id, 60)
    error(api.create_refund(payment_id, 40.01), 409, "1367", origin=True)
    second = api.refund(payment_id, 40)  # pending refunds count, together exactly 100
    error(api.create_refund(payment_id, 0.01), 409, "1367", origin=True)
    api.post(f"/pos/v10/refunds/{first}/cancel")  # cancelled refunds do not count
    assert api.create_refund(payment_id, 60).status_code == 200
    ids = api.get("/pos/v10/refunds", params={"paymentId": payment_id}).json()["refundIds"]
    assert ids[:2] == [first, second] and len(ids) == 3


def test_partially_captured_payment_refunds_up_to_the_captured_amount(api, error):
    _, _, payment_id = api.reserved_payment(amount=100, phone="+4520031805")
    api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 30})
    error(api.create_refund(payment_id, 30.01), 409, "1367", origin=True)
    assert api.create_refund(payment_id, 30).status_code == 200


def test_store_balance_must_cover_the_refund(api, emulator, error):
    emulator.settings.refund_reservation_delay_s = None
    payment_id = api.captured_payment(amount=100)
    emulator.set_store_balance(api.store_id, 50)
    refund_id = api.refund(payment_id, 30)
    error(api.create_refund(payment_id, 30), 409, "1368", origin=True)  # 20 left
    api.post(f"/pos/v10/refunds/{refund_id}/cancel")  # gives the 30 back
    assert api.create_refund(payment_id, 50).status_code == 200
    emulator.set_store_balance(api.store_id, None)  # unlimited
    assert api.create_refund(payment_id, 20).status_code == 200


@pytest.mark.parametrize("field, value, code", [
    ("amount", 0, "1102"),
    ("amount", -1, "1102"),
    ("amount", 1.001, "1102"),
    ("refundOrderId", "", "1114"),
    ("refundOrderId", "r" * 37, "1114"),
    ("currencyCode", "NOK", "1099"),
    ("paymentId", "nope", "1099"),
])
def test_create_refund_validation(api, error, field, value, code):
    body = {"paymentId": str(uuid.uuid4()), "refundOrderId": "refund-1", "amount": 10, "currencyCode": "DKK"}
    body[field] = value
    error(api.create("/pos/v10/refunds", body, check_request=False), 400, code, origin=True)


def test_find_refund_ids(api, emulator, error):
    payment_id = api.captured_payment(amount=100)
    other_payment = api.captured_payment(amount=100)
    first = api.refund(payment_id, 10)
    api.refund(other_payment, 10)
    assert api.get("/pos/v10/refunds", params={"paymentId": payment_id}).json() == {"refundIds": [first]}
    assert api.get("/pos/v10/refunds", params={"paymentId": str(uuid.uuid4())}).json() == {"refundIds": []}
    error(api.get("/pos/v10/refunds"), 400, "1110", origin=True)
    assert api.get("/pos/v10/refunds", params={"paymentId": payment_id}, vat="FI90000040").json() == {
        "refundIds": []}


def test_refund_of_another_integrator_or_merchant(api, emulator, error):
    payment_id = api.captured_payment(amount=100)
    refund_id = api.refund(payment_id, 10)
    emulator.add_integrator("other-integrator", "secret-2")
    other = api.token("other-integrator", "secret-2")
    error(api.create_refund(payment_id, 10, token=other), 403, "1401", origin=True)
    error(api.create_refund(payment_id, 10, vat="FI90000040"), 403, "1401", origin=True)
    for token, vat in ((other, "DK90000028"), (api.default_token, "FI90000040")):
        error(api.get(f"/pos/v10/refunds/{refund_id}", token=token, vat=vat), 403, "1402", origin=True)
        error(api.post(f"/pos/v10/refunds/{refund_id}/capture", token=token, vat=vat), 403, "1402", origin=True)
        error(api.post(f"/pos/v10/refunds/{refund_id}/cancel", token=token, vat=vat), 403, "1402", origin=True)
    assert api.get("/pos/v10/refunds", params={"paymentId": payment_id}, token=other).json() == {"refundIds": []}
