"""ePayment emulator: Idempotency-Key on create, capture, cancel and refund (API.md 5)."""

import pytest


def test_create_retry_with_the_same_key_and_body_replays_the_first_answer(epayment_api, epayment_emulator):
    body = epayment_api.payment_body(flow="QR")
    first = epayment_api.create(body, idempotency_key="create-1")
    again = epayment_api.create(body, idempotency_key="create-1")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert [e["name"] for e in epayment_emulator.payment(body["reference"])["events"]] == ["CREATED"]


def test_create_with_the_same_key_and_another_body_is_a_conflict(epayment_api, problem):
    body = epayment_api.payment_body(value=1000)
    assert epayment_api.create(body, idempotency_key="create-2").status_code == 201
    body["amount"]["value"] = 2000
    response = problem(epayment_api.create(body, idempotency_key="create-2"), 409)
    assert not any(d["name"] == "ErrorCode" for d in response.get("extraDetails") or [])  # generic 409


def test_reference_reused_with_a_new_key(epayment_api, problem):
    body = epayment_api.payment_body()
    assert epayment_api.create(body, idempotency_key="create-3").status_code == 201
    problem(epayment_api.create(body, idempotency_key="create-4"), 409, code="4150")


def test_key_used_for_another_operation(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 1000, idempotency_key="op-1").status_code == 200
    problem(epayment_api.refund(reference, 1000, idempotency_key="op-1"), 409, code="4020")
    problem(epayment_api.cancel(reference, idempotency_key="op-1"), 409, code="4020")
    other = epayment_api.authorized_payment(value=10000)
    problem(epayment_api.capture(other, 1000, idempotency_key="op-1"), 409, code="4020")  # another payment
    problem(epayment_api.create(epayment_api.payment_body(), idempotency_key="op-1"), 409, code="4020")


def test_capture_replay_and_conflict(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    first = epayment_api.capture(reference, 3000, idempotency_key="cap-1")
    again = epayment_api.capture(reference, 3000, idempotency_key="cap-1")
    assert again.content == first.content
    assert epayment_api.payment(reference)["aggregate"]["capturedAmount"]["value"] == 3000
    problem(epayment_api.capture(reference, 4000, idempotency_key="cap-1"), 409, code="4010")
    assert [e["name"] for e in epayment_emulator.payment(reference)["events"]].count("CAPTURED") == 1


def test_refund_replay_and_conflict(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_api.capture(reference, 10000)
    first = epayment_api.refund(reference, 1000, idempotency_key="refund-1")
    assert epayment_api.refund(reference, 1000, idempotency_key="refund-1").content == first.content
    assert epayment_api.payment(reference)["aggregate"]["refundedAmount"]["value"] == 1000
    problem(epayment_api.refund(reference, 2000, idempotency_key="refund-1"), 409, code="4150")


def test_cancel_replay_and_conflict(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    first = epayment_api.cancel(reference, idempotency_key="cancel-1")
    assert epayment_api.cancel(reference, idempotency_key="cancel-1").content == first.content
    assert epayment_api.cancel(reference, {}, idempotency_key="cancel-1").content == first.content  # {} == no body
    problem(epayment_api.cancel(reference, {"cancelTransactionOnly": True}, idempotency_key="cancel-1"), 409)


def test_a_rejected_request_stays_rejected_for_its_key(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(value=10000)
    problem(epayment_api.capture(reference, 1000, idempotency_key="early"), 400, code="6080")
    epayment_emulator.approve(reference)
    replay = epayment_api.capture(reference, 1000, idempotency_key="early")
    problem(replay, 400, code="6080")  # [SK]: use a new key after fixing the request
    assert replay.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert epayment_api.capture(reference, 1000, idempotency_key="late").status_code == 200


def test_remembering_rejections_is_a_setting(epayment_api, epayment_emulator, problem):
    epayment_emulator.settings.idempotency_remember_rejections = False
    reference = epayment_api.create_payment(value=10000)
    problem(epayment_api.capture(reference, 1000, idempotency_key="early"), 400, code="6080")
    epayment_emulator.approve(reference)
    assert epayment_api.capture(reference, 1000, idempotency_key="early").status_code == 200


@pytest.mark.parametrize("operation", ["create", "capture", "cancel", "refund"])
def test_the_key_is_required_and_at_most_50_characters(epayment_api, problem, operation):
    reference = epayment_api.authorized_payment(value=10000)
    calls = {
        "create": lambda key: epayment_api.create(epayment_api.payment_body(), idempotency_key=key,
                                                  validate_request=False),
        "capture": lambda key: epayment_api.capture(reference, 100, idempotency_key=key, validate_request=False),
        "cancel": lambda key: epayment_api.cancel(reference, idempotency_key=key, validate_request=False),
        "refund": lambda key: epayment_api.refund(reference, 100, idempotency_key=key, validate_request=False),
    }
    problem(calls[operation](None), 400, field="Idempotency-Key")
    problem(calls[operation]("k" * 51), 400, field="Idempotency-Key")


def test_cancel_without_a_key_when_the_setting_allows_it(epayment_api, epayment_emulator):
    epayment_emulator.settings.cancel_requires_idempotency_key = False
    reference = epayment_api.create_payment()
    response = epayment_api.cancel(reference, idempotency_key=None, validate_request=False)
    assert response.json()["state"] == "TERMINATED"


def test_keys_are_per_sales_unit(epayment_api, epayment_emulator):
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    assert epayment_api.create(epayment_api.payment_body(), idempotency_key="shared").status_code == 201
    assert epayment_api.create(epayment_api.payment_body(), idempotency_key="shared", keys=other).status_code == 201
