"""ePayment emulator: 423 Locked while another modification of the payment is in progress (busy.py)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mobilepay.epayment.emulator import EPaymentEmulatorSettings


@pytest.fixture
def background(epayment_api, epayment_emulator):
    """``post(path, body, key)`` sends a POST from another thread and returns its future once the emulator
    holds the request's reference (it has arrived, and is being delayed or processed); with
    ``held=False``, 50 ms after sending it."""
    pool = ThreadPoolExecutor(max_workers=4)

    def post(path, body, key, held=True):
        headers = epayment_api.headers(idempotency_key=key)
        holds = epayment_emulator.wsgi_app.holds
        before = len(holds)

        def send():
            with requests.Session() as http:
                http.trust_env = False
                response = http.post(epayment_api.base + path, json=body, headers=headers, timeout=5)
            epayment_api.contract.check(response)
            return response

        future = pool.submit(send)
        deadline = time.monotonic() + (3 if held else 0.05)
        while not (held and len(holds) > before) and not future.done() and time.monotonic() < deadline:
            time.sleep(0.005)
        return future

    yield post
    pool.shutdown(wait=True)


def _locked(response, problem):
    body = problem(response, 423)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert not any(d["name"] == "ErrorCode" for d in body.get("extraDetails") or []), body


def _capture_body(value):
    return {"modificationAmount": {"currency": "DKK", "value": value}}


def test_the_lock_is_on_by_default():
    for settings in (EPaymentEmulatorSettings(), EPaymentEmulatorSettings.for_tests()):
        assert settings.modification_lock and settings.modification_processing_ms == 0


def test_a_capture_during_a_slow_capture_of_the_same_payment_is_locked(epayment_api, epayment_emulator, problem,
                                                                      background):
    reference = epayment_api.authorized_payment(value=10000)
    path = f"/epayment/v1/payments/{reference}/capture"
    epayment_emulator.faults.add(method="POST", path=path, kind="latency", latency_ms=400)
    first = background(path, _capture_body(3000), "cap-slow")
    _locked(epayment_api.capture(reference, 2000, idempotency_key="cap-second"), problem)
    _locked(epayment_api.cancel(reference), problem)  # any modification of the payment
    assert epayment_api.get(f"/epayment/v1/payments/{reference}").status_code == 200  # reads are not locked
    assert first.result().status_code == 200
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 3000
    # Not remembered for its key: the same key goes through once the payment is free.
    later = epayment_api.capture(reference, 2000, idempotency_key="cap-second")
    assert later.status_code == 200 and "X-Emulator-Idempotent-Replay" not in later.headers
    assert later.json()["aggregate"]["capturedAmount"]["value"] == 5000


def test_a_retry_with_the_key_in_progress_is_locked_then_replayed(epayment_api, epayment_emulator, problem,
                                                                  background):
    body = epayment_api.payment_body()
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="latency", latency_ms=400)
    first = background("/epayment/v1/payments", body, "create-slow")
    _locked(epayment_api.create(body, idempotency_key="create-slow"), problem)  # the reference of the body
    _locked(epayment_api.create(body), problem)
    assert first.result().status_code == 201
    retry = epayment_api.create(body, idempotency_key="create-slow")
    assert retry.status_code == 201 and retry.headers["X-Emulator-Idempotent-Replay"] == "true"
    assert [e["name"] for e in epayment_emulator.payment(body["reference"])["events"]] == ["CREATED"]


def test_processing_time_holds_the_reference_but_not_the_others(epayment_api, epayment_emulator, problem,
                                                                background):
    reference = epayment_api.authorized_payment(value=10000)
    other = epayment_api.authorized_payment(value=10000)
    epayment_emulator.settings.modification_processing_ms = 500
    first = background(f"/epayment/v1/payments/{reference}/cancel", {}, "cancel-slow")
    started = time.monotonic()
    _locked(epayment_api.refund(reference, 100), problem)
    epayment_emulator.settings.modification_processing_ms = 0
    assert epayment_api.capture(other, 1000).status_code == 200  # the state lock is not held meanwhile
    assert time.monotonic() - started < 0.4
    assert first.result().json()["aggregate"]["cancelledAmount"]["value"] == 10000
    assert time.monotonic() - started >= 0.4


def test_the_lock_is_a_setting(epayment_api, epayment_emulator, background):
    reference = epayment_api.authorized_payment(value=10000)
    path = f"/epayment/v1/payments/{reference}/capture"
    assert epayment_api.control("POST", "/emulator/settings", {"modification_lock": False}).status_code == 200
    epayment_emulator.faults.add(method="POST", path=path, kind="latency", latency_ms=300)
    first = background(path, _capture_body(3000), "cap-slow", held=False)
    assert len(epayment_emulator.wsgi_app.holds) == 0
    assert epayment_api.capture(reference, 2000).status_code == 200  # processed at once, beside the slow one
    assert not first.done() and first.result().status_code == 200
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 5000
    assert epayment_api.control("POST", "/emulator/settings",
                                {"modification_processing_ms": -1}).status_code == 400


def test_parallel_captures_are_made_or_locked_never_half_done(epayment_api, epayment_emulator, problem):
    epayment_emulator.settings.rate_limit_modifications_per_minute = 30  # 12 captures of one reference, and retries
    epayment_emulator.settings.modification_processing_ms = 50  # each holds the reference a moment
    reference = epayment_api.authorized_payment(value=10000)
    url = f"{epayment_api.base}/epayment/v1/payments/{reference}/capture"

    def capture(i):
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(url, json=_capture_body(500), timeout=5,
                                 headers=epayment_api.headers(idempotency_key=f"cap-{i}"))
        epayment_api.contract.check(response)
        return response

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(capture, range(12)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 423} and 200 in statuses and 423 in statuses, statuses
    for answer in answers:
        if answer.status_code == 423:
            _locked(answer, problem)
    captured = epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"]
    assert captured == 500 * statuses.count(200)
    # None of the locked ones is remembered: each key goes through now.
    for i, status in enumerate(statuses):
        if status == 423:
            assert epayment_api.capture(reference, 500, idempotency_key=f"cap-{i}").status_code == 200
