"""ePayment emulator: many clients at once (the server is threaded; one lock guards the state).

The first three tests are about the state lock: every request of one reference gets through to it.
Vipps MobilePay would answer some of them 423 (a modification of the reference in progress) or 429
(more than 5 a minute), which the emulator does too (test_epayment_emulator_busy.py): these tests
switch both off, through ``_no_busy_answers``.
"""

from concurrent.futures import ThreadPoolExecutor

import requests


def _parallel(count, job):
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(job, range(count)))


def _no_busy_answers(emu):
    """Let up to 20 requests of one reference reach the state at once: no 423 Locked (the reference lock of
    busy.py) and no 429 (5 modifications per reference and minute, rate_limits.py)."""
    emu.settings.modification_lock = False
    emu.settings.rate_limit_modifications_per_minute = 20


def test_concurrent_retries_with_one_key_capture_once(epayment_api, epayment_emulator):
    _no_busy_answers(epayment_emulator)
    reference = epayment_api.authorized_payment(value=10000)
    headers = epayment_api.headers(idempotency_key="the-one-capture")
    url = f"{epayment_api.base}/epayment/v1/payments/{reference}/capture"

    def capture(_):
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(url, json={"modificationAmount": {"currency": "DKK", "value": 3000}},
                                 headers=headers, timeout=5)
        epayment_api.contract.check(response)
        return response.status_code, response.content

    answers = _parallel(8, capture)
    assert {status for status, _ in answers} == {200}
    assert len({content for _, content in answers}) == 1  # the first answer, replayed
    events = [e["name"] for e in epayment_emulator.payment(reference)["events"]]
    assert events.count("CAPTURED") == 1


def test_concurrent_captures_never_exceed_the_reservation(epayment_api, epayment_emulator):
    _no_busy_answers(epayment_emulator)
    reference = epayment_api.authorized_payment(value=10000)
    url = f"{epayment_api.base}/epayment/v1/payments/{reference}/capture"

    def capture(i):
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(url, json={"modificationAmount": {"currency": "DKK", "value": 1500}},
                                 headers=epayment_api.headers(idempotency_key=f"cap-{i}"), timeout=5)
        epayment_api.contract.check(response)
        return response.status_code

    statuses = _parallel(10, capture)
    assert statuses.count(200) == 6 and statuses.count(400) == 4  # 6 x 1500 = 9000 <= 10000 < 7 x 1500
    assert epayment_api.payment(reference)["aggregate"]["capturedAmount"]["value"] == 9000


def test_concurrent_creates_with_one_reference_make_one_payment(epayment_api, epayment_emulator):
    _no_busy_answers(epayment_emulator)
    body = epayment_api.payment_body()
    url = f"{epayment_api.base}/epayment/v1/payments"

    def create(i):
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(url, json=body, headers=epayment_api.headers(idempotency_key=f"create-{i}"),
                                 timeout=5)
        epayment_api.contract.check(response)
        return response.status_code

    statuses = _parallel(8, create)
    assert sorted(statuses) == [201] + [409] * 7
    assert len(epayment_emulator.state.payments) == 1
