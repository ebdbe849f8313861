"""ePayment emulator: the special test amounts of the Vipps MobilePay test environment (API.md 12, 7.6;
mobilepay/epayment/emulator/special_amounts.py), over real HTTP.

A payment of 151, 182, 183, 184, 186, 187, 197 or 202 minor units cannot be approved (force approve: 10010
naming the reason; the approve control: 400 naming it; the phone page: "Payment failed") and stays CREATED:
the merchant can cancel it, it expires as usual. 201: the approval is taken, the payment stays CREATED for
an hour of the emulator clock (not ended by its normal expiry), then ABORTED. Refunds of 123 and 124 are
refused (124 with 6220). Setting ``special_amounts`` off (control, settings, command line): none of this.
Every ePayment answer goes through ``epayment_api``, which validates it against the saved spec when
../shared is there (as the stateful pass does).
"""

import re
import time

import pytest

from mobilepay.epayment.emulator import ControlError
from mobilepay.epayment.emulator.__main__ import build_parser, settings_from
from mobilepay.epayment.emulator.special_amounts import APPROVAL_FAILURES

FAILING = sorted(APPROVAL_FAILURES.items())


def _force_approve(epayment_api, epayment_emulator, reference):
    return epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve",
                             {"token": epayment_emulator.payment(reference)["token"]})


def _advance(epayment_api, seconds):
    assert epayment_api.control("POST", "/emulator/clock/advance", {"seconds": seconds}).status_code == 200


def _names(epayment_api, reference):
    return [e["name"] for e in epayment_api.events(reference)]


def _approve_on_the_phone(epayment_api, epayment_emulator, reference):
    """Approve on the payment's phone page as the first demo customer; the page the answer leads to."""
    token = epayment_emulator.payment(reference)["token"]
    answer = epayment_api.fetch(f"/phone/pay/{token}", "POST", allow_redirects=False,
                                data={"action": "approve", "customer": epayment_emulator.demo.phone_numbers[0]})
    assert answer.status_code == 303
    return epayment_api.fetch(answer.headers["Location"]).text


# ---------------------------------------------------------------------------------------------- failing approvals


@pytest.mark.parametrize("amount, reason", FAILING, ids=[str(amount) for amount, _ in FAILING])
def test_a_failing_amount_refuses_every_approval_and_stays_created(amount, reason, epayment_api, epayment_emulator,
                                                                    problem):
    reference = epayment_api.create_payment(value=amount)
    said = f"{reason} (test amount {amount})"

    body = problem(_force_approve(epayment_api, epayment_emulator, reference), 400, code="10010")
    assert body["title"] == "Approve failed" and said in body["detail"], body
    control = epayment_api.control("POST", f"/emulator/payments/{reference}/approve", {})
    assert control.status_code == 400 and said in control.json()["error"]
    with pytest.raises(ControlError, match=re.escape(said)):
        epayment_emulator.approve(reference)
    assert f"Payment failed: {said}" in _approve_on_the_phone(epayment_api, epayment_emulator, reference)

    payment = epayment_api.payment(reference)
    assert payment["state"] == "CREATED" and payment["aggregate"]["authorizedAmount"]["value"] == 0
    assert _names(epayment_api, reference) == ["CREATED"]  # a refused approval leaves no event

    cancelled = epayment_api.cancel(reference)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "TERMINATED"
    assert cancelled.json()["aggregate"]["cancelledAmount"]["value"] == amount


def test_a_failing_amount_expires_as_usual(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(value=151)
    problem(_force_approve(epayment_api, epayment_emulator, reference), 400, code="10010")
    _advance(epayment_api, epayment_emulator.settings.payment_expiry_s)
    assert epayment_api.payment(reference)["state"] == "EXPIRED"
    assert _names(epayment_api, reference) == ["CREATED", "EXPIRED"]


def test_a_customer_who_approves_a_failing_amount_after_a_while(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=183)
    assert epayment_emulator.approve_after(reference, 0.05)["processing"] is True
    deadline = time.monotonic() + 5
    while epayment_emulator.payment(reference)["processing"] and time.monotonic() < deadline:
        time.sleep(0.02)
    snapshot = epayment_emulator.payment(reference)
    assert (snapshot["state"], snapshot["processing"]) == ("CREATED", False)
    assert epayment_api.cancel(reference).json()["state"] == "TERMINATED"  # no 6250 any more


def test_amounts_next_to_the_special_ones_approve(epayment_api, epayment_emulator):
    for amount in (150, 152, 185, 200, 203, 1510, 123, 124):
        reference = epayment_api.create_payment(value=amount)
        assert _force_approve(epayment_api, epayment_emulator, reference).status_code == 200
        assert epayment_api.payment(reference)["state"] == "AUTHORIZED", amount


# ---------------------------------------------------------------------------------------------- 201


def test_201_stays_created_for_an_hour_then_aborted(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(value=201)
    taken = _force_approve(epayment_api, epayment_emulator, reference)
    assert (taken.status_code, taken.content) == (200, b"")
    until = epayment_emulator.payment(reference)["unknownResultUntil"]
    assert until is not None
    assert epayment_api.payment(reference)["state"] == "CREATED"

    _advance(epayment_api, epayment_emulator.settings.payment_expiry_s + 1)  # its normal expiry does not end it
    assert epayment_api.payment(reference)["state"] == "CREATED"
    again = problem(_force_approve(epayment_api, epayment_emulator, reference), 400, code="10010")
    assert "approved already" in again["detail"] and "test amount 201" in again["detail"]
    rejected = epayment_api.control("POST", f"/emulator/payments/{reference}/reject", {})
    assert rejected.status_code == 400 and "approved already" in rejected.json()["error"]
    problem(epayment_api.capture(reference, 201), 400, code="6080")  # nothing reserved

    _advance(epayment_api, 3600 - epayment_emulator.settings.payment_expiry_s - 11)
    assert epayment_api.payment(reference)["state"] == "CREATED"
    _advance(epayment_api, 10)
    payment = epayment_api.payment(reference)
    assert payment["state"] == "ABORTED" and payment["aggregate"]["authorizedAmount"]["value"] == 0
    events = epayment_api.events(reference)
    assert [e["name"] for e in events] == ["CREATED", "ABORTED"]
    assert events[1]["timestamp"] == until  # ended when its hour was over


def test_201_on_the_phone_page_and_with_the_control(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=201)
    page = _approve_on_the_phone(epayment_api, epayment_emulator, reference)
    assert "result is unknown (test amount 201)" in page
    assert "value='approve'" not in page  # approved once: no buttons any more
    assert epayment_emulator.payment(reference)["customer"] == epayment_emulator.demo.phone_numbers[0]

    other = epayment_api.create_payment(value=201)
    answer = epayment_api.control("POST", f"/emulator/payments/{other}/approve", {})
    assert answer.status_code == 200
    assert answer.json()["state"] == "CREATED" and answer.json()["unknownResultUntil"]


def test_201_can_be_cancelled_during_its_hour(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=201)
    assert _force_approve(epayment_api, epayment_emulator, reference).status_code == 200
    cancelled = epayment_api.cancel(reference)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "TERMINATED"
    _advance(epayment_api, 3600)
    assert _names(epayment_api, reference) == ["CREATED", "TERMINATED"]


# ---------------------------------------------------------------------------------------------- refunds


def test_refunds_of_123_and_124_are_refused_others_pass(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 10000).status_code == 200

    cannot = problem(epayment_api.refund(reference, 123, idempotency_key="refund-123"), 400)
    assert cannot["title"] == "Refund cannot be made" and "test amount 123" in cannot["detail"]
    assert "extraDetails" not in cannot  # no code is known for it
    replay = epayment_api.refund(reference, 123, idempotency_key="refund-123")
    assert (replay.status_code, replay.json()["title"]) == (400, "Refund cannot be made")  # remembered for the key

    expired = problem(epayment_api.refund(reference, 124), 400, code="6220")
    assert expired["title"] == "Refund period expired" and "test amount 124" in expired["detail"]

    passed = epayment_api.refund(reference, 125)
    assert passed.status_code == 200, passed.text
    assert passed.json()["aggregate"]["refundedAmount"]["value"] == 125
    assert _names(epayment_api, reference) == ["CREATED", "AUTHORIZED", "CAPTURED", "REFUNDED"]


def test_a_refund_of_123_beyond_what_is_refundable_is_told_so_first(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 100).status_code == 200
    problem(epayment_api.refund(reference, 123), 400, code="6150")


# ---------------------------------------------------------------------------------------------- switched off


def test_the_control_switches_them_off_and_reset_on(epayment_api, epayment_emulator):
    listed = epayment_api.control("GET", "/emulator/special-amounts")
    assert listed.json()["on"] is True
    assert listed.json()["approval"]["151"] == "insufficient funds"
    assert listed.json()["unknownResult"] == {"201": 3600} and set(listed.json()["refund"]) == {"123", "124"}
    assert epayment_api.control("POST", "/emulator/special-amounts", {}).status_code == 400
    assert epayment_api.control("POST", "/emulator/special-amounts", {"on": "no"}).status_code == 400

    off = epayment_api.control("POST", "/emulator/special-amounts", {"on": False})
    assert off.status_code == 200 and off.json()["on"] is False
    assert epayment_emulator.settings.special_amounts is False
    for amount in (151, 201):
        reference = epayment_api.create_payment(value=amount)
        assert _force_approve(epayment_api, epayment_emulator, reference).status_code == 200
        assert epayment_api.payment(reference)["state"] == "AUTHORIZED"
    reference = epayment_api.authorized_payment(value=1000)
    assert epayment_api.capture(reference, 1000).status_code == 200
    for value in (123, 124):
        assert epayment_api.refund(reference, value).status_code == 200

    epayment_emulator.reset()
    assert epayment_api.control("GET", "/emulator/special-amounts").json()["on"] is True


def test_the_settings_control_switches_them_off(epayment_api, epayment_emulator):
    assert epayment_api.control("POST", "/emulator/settings", {"special_amounts": 0}).status_code == 400
    assert epayment_api.control("POST", "/emulator/settings", {"special_amounts": False}).status_code == 200
    reference = epayment_api.create_payment(value=151)
    assert epayment_api.control("POST", f"/emulator/payments/{reference}/approve", {}).json()["state"] == "AUTHORIZED"
    assert epayment_api.control("POST", "/emulator/settings", {"special_amounts": True}).status_code == 200
    assert epayment_api.control("POST", f"/emulator/payments/{epayment_api.create_payment(value=151)}/approve",
                                {}).status_code == 400


def test_switching_off_does_not_end_a_201_already_waiting(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=201)
    assert _force_approve(epayment_api, epayment_emulator, reference).status_code == 200
    epayment_emulator.settings.special_amounts = False
    _advance(epayment_api, 1800)
    assert epayment_api.payment(reference)["state"] == "CREATED"
    _advance(epayment_api, 1800)
    assert epayment_api.payment(reference)["state"] == "ABORTED"


def test_the_command_line_flag():
    assert settings_from(build_parser().parse_args([])).special_amounts is True
    assert settings_from(build_parser().parse_args(["--no-special-amounts"])).special_amounts is False
