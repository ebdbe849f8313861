"""ePayment emulator: fault injection (the v10 emulator's Faults on the ePayment paths) and the contract checker."""

import random
import time

import pytest
import requests

from mobilepay.epayment.emulator import Fault


def test_status_fault_answers_without_processing(epayment_api, epayment_emulator, problem):
    fault = epayment_emulator.faults.add(kind="status", status=503)  # default: POST /epayment/v1/payments
    body = epayment_api.payment_body()
    problem(epayment_api.create(body), 503)
    assert fault.hits == 1
    assert epayment_emulator.state.payments == {}
    assert epayment_api.create(body).status_code == 201  # fired once
    assert ("POST", "/epayment/v1/payments", 503) in epayment_emulator.requests_log


def test_5xx_answers_are_not_remembered_for_the_key(epayment_api, epayment_emulator):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_emulator.faults.add(kind="status", status=500, path="/epayment/v1/payments/*/capture")
    assert epayment_api.capture(reference, 1000, idempotency_key="cap-1").status_code == 500
    assert epayment_api.capture(reference, 1000, idempotency_key="cap-1").status_code == 200


def test_drop_before_leaves_no_trace(epayment_api, epayment_emulator):
    epayment_emulator.faults.add(kind="drop_before")
    body = epayment_api.payment_body()
    with pytest.raises(requests.ConnectionError):
        epayment_api.create(body)
    assert epayment_emulator.state.payments == {}
    assert ("POST", "/epayment/v1/payments", None) in epayment_emulator.requests_log


def test_drop_after_changes_the_state_and_the_retry_replays(epayment_api, epayment_emulator):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments/*/capture", kind="drop_after")
    with pytest.raises(requests.ConnectionError):
        epayment_api.capture(reference, 4000, idempotency_key="cap-lost")
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 4000  # done, answer lost
    retry = epayment_api.capture(reference, 4000, idempotency_key="cap-lost")
    assert retry.status_code == 200 and retry.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert retry.json()["aggregate"]["capturedAmount"]["value"] == 4000  # not captured twice


def test_latency_range(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    fault = epayment_emulator.faults.add(method="GET", path=f"/epayment/v1/payments/{reference}", kind="latency",
                                         latency_ms=100, latency_max_ms=250)
    started = time.monotonic()
    assert epayment_api.get(f"/epayment/v1/payments/{reference}").status_code == 200
    assert time.monotonic() - started >= 0.1
    rng = random.Random(7)
    draws = [fault.delay_ms(rng) for _ in range(200)]
    assert 100 <= min(draws) and max(draws) <= 250 and max(draws) - min(draws) > 50
    epayment_emulator.faults.add(method="GET", path="/epayment/v1/payments/*", kind="latency", latency_ms=300)
    with pytest.raises(requests.Timeout):
        epayment_api.get(f"/epayment/v1/payments/{reference}", timeout=0.1)


def test_patterns_methods_and_times(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.faults.add(method=None, path="/epayment/v1/payments/*", kind="status", status=502, times=None)
    assert epayment_api.get(f"/epayment/v1/payments/{reference}").status_code == 502
    assert epayment_api.cancel(reference).status_code == 502
    assert epayment_api.get("/webhooks/v1/webhooks").status_code == 200
    epayment_emulator.faults.clear()
    assert epayment_api.get(f"/epayment/v1/payments/{reference}").status_code == 200


def test_every_api_family_can_be_faulted_but_not_the_controls(epayment_api, epayment_emulator):
    epayment_api.token()
    epayment_emulator.faults.add(method=None, path="*", kind="status", status=503, times=None)
    assert epayment_api.token_response().status_code == 503
    assert epayment_api.get("/webhooks/v1/webhooks").status_code == 503
    assert epayment_api.get("/qr/v1/merchant-callback").status_code == 503
    assert epayment_api.fetch("/phone").status_code == 200
    assert epayment_api.control("GET", "/emulator/deliveries").status_code == 200


def test_faults_over_http(epayment_api, epayment_emulator):
    added = epayment_api.control("POST", "/emulator/faults", {"method": "GET", "path": "/webhooks/v1/webhooks",
                                                              "kind": "status", "status": 500, "times": 2})
    assert added.status_code == 200 and added.json()["fault"]["times"] == 2
    assert epayment_api.get("/webhooks/v1/webhooks").status_code == 500
    listed = epayment_api.control("GET", "/emulator/faults").json()
    assert listed[0]["hits"] == 1 and listed[0]["kind"] == "status"
    assert epayment_api.control("DELETE", "/emulator/faults").status_code == 200
    assert epayment_api.get("/webhooks/v1/webhooks").status_code == 200
    bad = epayment_api.control("POST", "/emulator/faults", {"kind": "explode"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]


def test_fault_class_is_the_v10_one():
    from mobilepay.v10.emulator import Fault as V10Fault

    assert Fault is V10Fault


def test_the_contract_checker_catches_a_broken_answer(epayment_api, epayment_emulator, epayment_contract):
    if type(epayment_contract).__name__ == "NoEPaymentContract":
        pytest.skip("the saved specs are not available")
    epayment_emulator.faults.add(kind="body", status=201, body='{"reference": 5}')
    response = epayment_api.create(check=False)
    with pytest.raises(AssertionError, match="response breaks the spec"):
        epayment_contract.check(response)
    bad_request = epayment_api.create(epayment_api.payment_body(reference="short"), check=False)
    with pytest.raises(AssertionError, match="request breaks the spec"):
        epayment_contract.check(bad_request)
    with pytest.raises(AssertionError, match="webhook payload"):
        epayment_contract.check_webhook({"msn": "123456", "name": "CREATED"})
