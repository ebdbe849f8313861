"""ePayment emulator: customers in time. A customer who approves after a while (``approve_after``; a cancel
meanwhile gets 6250), and check-ins of scans made earlier (``initiated_ago_s``; API.md 11.3)."""

import time
from datetime import datetime, timedelta

import pytest

from mobilepay.epayment.emulator import ControlError


def _wait_for_state(epayment_emulator, reference, state, timeout=3.0):
    deadline = time.monotonic() + timeout
    while epayment_emulator.payment(reference)["state"] != state:
        assert time.monotonic() < deadline, f"{reference} never became {state}"
        time.sleep(0.01)
    return epayment_emulator.payment(reference)


def _parse(timestamp):
    """``2023-10-06T10:45:40.3061965Z`` (7 fractional digits) as an aware datetime."""
    return datetime.fromisoformat(timestamp[:26] + "+00:00")


# ---------------------------------------------------------------------------------------------- approve_after


def test_a_cancel_while_the_customer_approves_gets_6250_then_the_payment_is_authorized(
        epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(value=10000)
    phone = epayment_emulator.demo.phone_numbers[1]
    approving = epayment_emulator.approve_after(reference, 0.3, phone_number=phone)
    assert approving["processing"] and approving["state"] == "CREATED"
    refused = epayment_api.cancel(reference, idempotency_key="cancel-1")
    problem(refused, 400, code="6250")
    assert epayment_emulator.payment(reference)["state"] == "CREATED"  # not yet
    approved = _wait_for_state(epayment_emulator, reference, "AUTHORIZED")
    assert approved["customer"] == phone and not approved["processing"]
    again = epayment_api.cancel(reference, idempotency_key="cancel-1")  # remembered for its key
    assert again.headers["X-Emulator-Idempotent-Replay"] == "true" and again.content == refused.content
    released = epayment_api.cancel(reference, idempotency_key="cancel-2")
    assert released.json()["aggregate"]["cancelledAmount"]["value"] == 10000


def test_approve_after_needs_a_created_payment(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.reject(reference)
    with pytest.raises(ControlError, match="ABORTED"):
        epayment_emulator.approve_after(reference, 0.1)
    with pytest.raises(ControlError, match="seconds"):
        epayment_emulator.approve_after(epayment_api.create_payment(), -1)


def test_a_payment_that_ends_meanwhile_is_left_as_it_is(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.approve_after(reference, 0.1)
    epayment_emulator.expire(reference)
    time.sleep(0.25)
    assert epayment_emulator.payment(reference)["state"] == "EXPIRED"
    assert len(epayment_emulator.approvals) == 0


def test_reset_calls_off_a_waiting_approval(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.approve_after(reference, 0.2)
    epayment_emulator.reset()
    body = epayment_api.payment_body(reference=reference)
    assert epayment_api.create(body).status_code == 201  # the same reference in the fresh state
    time.sleep(0.35)
    assert epayment_emulator.payment(reference)["state"] == "CREATED"


def test_approve_after_over_http(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment()
    phone = epayment_emulator.demo.phone_numbers[0]
    answer = epayment_api.control("POST", f"/emulator/payments/{reference}/approve-after",
                                  {"seconds": 0.2, "phoneNumber": phone})
    assert answer.status_code == 200 and answer.json()["processing"] is True
    problem(epayment_api.cancel(reference), 400, code="6250")
    assert _wait_for_state(epayment_emulator, reference, "AUTHORIZED")["customer"] == phone
    assert epayment_api.control("POST", f"/emulator/payments/{reference}/approve-after",
                                {"seconds": 1}).status_code == 400  # not CREATED any more
    assert epayment_api.control("POST", f"/emulator/payments/{reference}/approve-after", {}).status_code == 400


# ---------------------------------------------------------------------------------------------- old scans


@pytest.fixture
def sticker(epayment_api, webhook_receiver):
    """A callback QR ``till-1`` of the demo sales unit and the receiver of its check-ins."""
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    return receiver


def test_an_old_scan_carries_its_initiated_at_and_its_token_runs_from_then(epayment_api, epayment_emulator,
                                                                           epayment_contract, sticker, problem):
    token = epayment_emulator.scan_callback_qr("till-1", initiated_ago_s=14 * 60)
    sticker.wait_for(1)
    body = sticker.bodies()[0]
    epayment_contract.check_checkin(body)
    assert body["customerToken"] == token
    scanned_at = epayment_emulator.clock.now() - timedelta(minutes=14)
    assert abs((_parse(body["initiatedAt"]) - scanned_at).total_seconds()) < 2
    payment = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
    assert epayment_api.create(payment).status_code == 201  # a minute of its 15 is left
    epayment_emulator.clock.advance(61)
    late = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
    problem(epayment_api.create(late), 400, code="4050")


def test_a_scan_older_than_15_minutes_arrives_with_an_expired_token(epayment_api, epayment_emulator, sticker,
                                                                    problem):
    token = epayment_emulator.scan_callback_qr("till-1", initiated_ago_s=15 * 60)
    sticker.wait_for(1)  # delivered all the same: the merchant must see that it is too old
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
    problem(epayment_api.create(body), 400, code="4050")
    with pytest.raises(ControlError, match="initiated_ago_s"):
        epayment_emulator.scan_callback_qr("till-1", initiated_ago_s=-5)


def test_old_scans_over_http(epayment_api, epayment_emulator, sticker):
    answer = epayment_api.control("POST", "/emulator/merchant-callback/till-1/scan", {"initiatedAgoS": 600})
    assert answer.status_code == 200
    sticker.wait_for(1)
    initiated = _parse(sticker.bodies()[0]["initiatedAt"])
    assert abs((epayment_emulator.clock.now() - initiated).total_seconds() - 600) < 2
    assert epayment_api.control("POST", "/emulator/merchant-callback/till-1/scan",
                                {"initiatedAgoS": "long"}).status_code == 400


def test_a_sticker_payment_keeps_whose_scan_it_answers(epayment_api, epayment_emulator, sticker):
    first, second = epayment_emulator.demo.phone_numbers[:2]
    old = epayment_emulator.scan_callback_qr("till-1", first, initiated_ago_s=120)
    new = epayment_emulator.scan_callback_qr("till-1", second)
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"customerToken": old})
    held = epayment_emulator.payment(reference)
    assert (held["customerToken"], held["customer"], held["merchantQrId"]) == (old, first, "till-1")
    assert held["customerToken"] != new  # the payment went to the earlier customer, not the newest scan
    by_phone = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"phoneNumber": second})
    assert epayment_emulator.payment(by_phone)["customerToken"] is None
