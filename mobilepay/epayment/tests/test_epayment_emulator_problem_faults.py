"""ePayment emulator: the ``problem`` fault, a refusal with a Vipps MobilePay error code as the API itself
would answer it, remembered for the request's Idempotency-Key (faults.py, API.md 5 and 6.5)."""

import pytest

from mobilepay.v10.emulator import Emulator, EmulatorSettings


def _coded(response, problem, status, code):
    body = problem(response, status, code=code)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["extraDetails"] == [{"name": "ErrorCode", "reason": code}]
    return body


@pytest.mark.parametrize("operation, code", [("capture", "6160"), ("capture", "6260"), ("capture", "6280"),
                                             ("cancel", "6250"), ("refund", "6160")])
def test_a_problem_changes_nothing_and_stays_with_its_key(epayment_api, epayment_emulator, problem, operation,
                                                          code):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_api.capture(reference, 5000)
    before = epayment_emulator.payment(reference)
    fault = epayment_emulator.faults.add(path=f"/epayment/v1/payments/*/{operation}", kind="problem", code=code)
    call = {"capture": lambda key: epayment_api.capture(reference, 1000, idempotency_key=key),
            "cancel": lambda key: epayment_api.cancel(reference, idempotency_key=key),
            "refund": lambda key: epayment_api.refund(reference, 1000, idempotency_key=key)}[operation]
    first = call("attempt-1")
    _coded(first, problem, 400, code)
    assert epayment_emulator.payment(reference) == before  # nothing done
    again = call("attempt-1")  # API.md 5: rejected with 4xx, it stays rejected for that key
    assert again.headers["X-Emulator-Idempotent-Replay"] == "true" and again.content == first.content
    assert fault.hits == 1
    assert call("attempt-2").status_code == 200  # only a new key gets through
    assert epayment_emulator.payment(reference) != before


def test_a_problem_is_worded_as_the_emulator_s_own_refusal(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment()
    epayment_emulator.set_processing(reference)
    real = _coded(epayment_api.cancel(reference), problem, 400, "6250")
    epayment_emulator.set_processing(reference, False)
    epayment_emulator.faults.add(path="/epayment/v1/payments/*/cancel", kind="problem", code="6250")
    injected = _coded(epayment_api.cancel(reference), problem, 400, "6250")
    assert {k: v for k, v in injected.items() if k not in ("traceId", "detail")} == \
           {k: v for k, v in real.items() if k not in ("traceId", "detail")}
    assert epayment_emulator.payment(reference)["state"] == "CREATED"


def test_status_and_code_of_a_create_problem(epayment_api, epayment_emulator, problem):
    epayment_emulator.faults.add(kind="problem", status=422, code="5070")  # default path: create
    body = epayment_api.payment_body()
    _coded(epayment_api.create(body, idempotency_key="create-1"), problem, 422, "5070")
    assert epayment_emulator.state.payments == {}
    _coded(epayment_api.create(body, idempotency_key="create-1"), problem, 422, "5070")  # remembered
    assert epayment_api.create(body, idempotency_key="create-2").status_code == 201


def test_a_problem_on_a_read_is_answered_and_not_remembered(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment()
    path = f"/epayment/v1/payments/{reference}"
    epayment_emulator.faults.add(method="GET", path=path, kind="problem", status=400, code="3010")
    _coded(epayment_api.get(path), problem, 400, "3010")
    assert epayment_api.get(path).status_code == 200


def test_a_problem_without_a_code_is_remembered_too(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_emulator.faults.add(path="/epayment/v1/payments/*/capture", kind="problem", status=409)
    body = problem(epayment_api.capture(reference, 1000, idempotency_key="k"), 409)
    assert not body.get("extraDetails")
    assert epayment_api.capture(reference, 1000, idempotency_key="k").status_code == 409


def test_problem_faults_over_http(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    added = epayment_api.control("POST", "/emulator/faults", {
        "path": "/epayment/v1/payments/*/capture", "kind": "problem", "code": "6280"})
    assert added.status_code == 200
    assert added.json()["fault"]["code"] == "6280" and added.json()["fault"]["status"] == 400
    _coded(epayment_api.capture(reference, 1000), problem, 400, "6280")
    for bad in ({"kind": "status", "code": "6160"}, {"kind": "problem", "code": "soon"},
                {"kind": "problem", "code": "6160", "status": 200}):
        refused = epayment_api.control("POST", "/emulator/faults", bad)
        assert refused.status_code == 400, bad
    with pytest.raises(ValueError):
        epayment_emulator.faults.add(kind="latency", code="6160")


def test_the_v10_emulator_does_not_know_problem_faults():
    emu = Emulator(EmulatorSettings.for_tests())
    with pytest.raises(ValueError, match="kind"):
        emu.faults.add(kind="problem", code="6160")
    assert emu.faults.add(kind="status").code is None
    assert emu.faults.to_json()[0]["code"] is None
