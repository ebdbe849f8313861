"""ePayment emulator: a whole payment's life, every answer validated against epayment.v1.yml.

create -> force approve (the spec's test endpoint) -> partial capture -> capture the rest -> refund ->
the event log in order; cancel before approval; replays of create, capture and refund with the same
Idempotency-Key; over-capture and over-refund refused with Problem bodies. ``epayment_api`` validates
every exchange against the saved spec (patched with API.md section 0, tests/pytest_fixtures.py). Without the saved
specs this pass is skipped with one message, like the fuzzing run.
"""

import os
from pathlib import Path

import pytest

SPEC = Path(os.environ.get("VIPPS_SPEC_DIR") or Path(__file__).resolve().parents[4] / "shared/vipps-epayment")
pytestmark = pytest.mark.skipif(not (SPEC / "epayment.v1.yml").is_file(),
                                reason="the stateful contract pass needs the saved Vipps specs (VIPPS_SPEC_DIR)")


def _aggregate(payment):
    return {name: payment["aggregate"][name]["value"]
            for name in ("authorizedAmount", "cancelledAmount", "capturedAmount", "refundedAmount")}


def _approve(epayment_api, epayment_emulator, reference):
    token = epayment_emulator.payment(reference)["redirectUrl"].split("token=")[1]
    response = epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", {"token": token})
    assert response.status_code == 200, response.text


def test_create_approve_capture_refund_and_the_event_log(epayment_api, epayment_emulator, problem):
    body = epayment_api.payment_body(value=10000)
    reference = body["reference"]
    created = epayment_api.create(body, idempotency_key="life-create")
    assert created.status_code == 201, created.text
    replayed = epayment_api.create(body, idempotency_key="life-create")
    assert (replayed.status_code, replayed.json()) == (201, created.json())

    _approve(epayment_api, epayment_emulator, reference)
    assert epayment_api.payment(reference)["state"] == "AUTHORIZED"

    first = epayment_api.capture(reference, 4000, idempotency_key="life-capture-1")
    assert first.status_code == 200, first.text
    again = epayment_api.capture(reference, 4000, idempotency_key="life-capture-1")
    assert (again.status_code, again.json()) == (200, first.json())
    problem(epayment_api.capture(reference, 6001), 400, code="6090")  # more than the 6000 left
    rest = epayment_api.capture(reference, 6000, idempotency_key="life-capture-2")
    assert rest.status_code == 200, rest.text
    assert _aggregate(rest.json()) == {"authorizedAmount": 10000, "cancelledAmount": 0, "capturedAmount": 10000,
                                       "refundedAmount": 0}
    problem(epayment_api.capture(reference, 1), 400, code="6090")  # nothing left

    refund = epayment_api.refund(reference, 2500, idempotency_key="life-refund")
    assert refund.status_code == 200, refund.text
    replay = epayment_api.refund(reference, 2500, idempotency_key="life-refund")
    assert (replay.status_code, replay.json()) == (200, refund.json())
    problem(epayment_api.refund(reference, 7501), 400, code="6150")  # more than the 7500 still refundable
    assert _aggregate(epayment_api.payment(reference))["refundedAmount"] == 2500

    events = epayment_api.events(reference)
    assert [(e["name"], e["amount"]["value"]) for e in events] == [
        ("CREATED", 10000), ("AUTHORIZED", 10000), ("CAPTURED", 4000), ("CAPTURED", 6000), ("REFUNDED", 2500)]
    assert [e["idempotencyKey"] for e in events[2:]] == ["life-capture-1", "life-capture-2", "life-refund"]
    assert all(e["success"] for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)


def test_cancel_before_approval(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(value=5000)
    cancelled = epayment_api.cancel(reference, idempotency_key="early-cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "TERMINATED"
    assert _aggregate(cancelled.json())["cancelledAmount"] == 5000
    assert [e["name"] for e in epayment_api.events(reference)] == ["CREATED", "TERMINATED"]
    problem(epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve",
                              {"customer": {"phoneNumber": epayment_emulator.demo.phone_numbers[0]}}), 400,
            code="10010")  # too late to approve
    problem(epayment_api.capture(reference, 1000), 400, code="6080")  # never reserved
