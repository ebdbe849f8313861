"""ePayment emulator: the rate limits of API.md 9 (HTTP 429 with Retry-After; rate_limits.py)."""

from mobilepay.epayment.emulator import EPaymentEmulatorSettings


def _refused(response, problem):
    """A 429 Problem without a numeric code; returns its Retry-After in seconds."""
    body = problem(response, 429)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert not any(d["name"] == "ErrorCode" for d in body.get("extraDetails") or []), body
    return int(response.headers["Retry-After"])


def test_limits_are_on_by_default():
    for settings in (EPaymentEmulatorSettings(), EPaymentEmulatorSettings.for_tests()):
        assert settings.rate_limit_modifications_per_minute == 5  # Vipps MobilePay enforces them (API.md 9)
        assert settings.rate_limit_reads_per_minute == 120


def test_a_sixth_capture_within_a_minute_waits_for_the_window(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 100).status_code == 200
    epayment_emulator.clock.advance(10)
    for _ in range(4):
        assert epayment_api.capture(reference, 100).status_code == 200
    assert _refused(epayment_api.capture(reference, 100), problem) == 50  # the first leaves the window at +60 s
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 500  # nothing done
    epayment_emulator.clock.advance(50)
    assert epayment_api.capture(reference, 100).status_code == 200  # one place free...
    assert _refused(epayment_api.capture(reference, 100), problem) == 10  # ...and the refused one took none
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 600


def test_each_operation_and_reference_has_its_own_count(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    for _ in range(5):
        assert epayment_api.capture(reference, 1000).status_code == 200
    _refused(epayment_api.capture(reference, 1000), problem)
    assert epayment_api.refund(reference, 100).status_code == 200  # refunds are counted apart
    assert epayment_api.cancel(reference).status_code == 200
    assert epayment_api.payment(reference)["aggregate"]["capturedAmount"]["value"] == 5000
    other = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(other, 1000).status_code == 200  # another reference


def test_a_refused_request_is_not_remembered_for_its_key(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    for i in range(5):
        assert epayment_api.capture(reference, 1000, idempotency_key=f"cap-{i}").status_code == 200
    _refused(epayment_api.capture(reference, 1000, idempotency_key="cap-5"), problem)
    _refused(epayment_api.capture(reference, 1000, idempotency_key="cap-0"), problem)  # a replay is counted too
    epayment_emulator.clock.advance(60)
    processed = epayment_api.capture(reference, 1000, idempotency_key="cap-5")
    assert processed.status_code == 200 and "X-Emulator-Idempotent-Replay" not in processed.headers
    assert processed.json()["aggregate"]["capturedAmount"]["value"] == 6000
    replayed = epayment_api.capture(reference, 1000, idempotency_key="cap-0")
    assert replayed.status_code == 200 and replayed.headers["X-Emulator-Idempotent-Replay"] == "true"


def test_creates_are_counted_per_reference_of_the_body_and_msn(epayment_api, epayment_emulator, problem):
    body = epayment_api.payment_body()
    assert epayment_api.create(body).status_code == 201
    for _ in range(4):
        problem(epayment_api.create(body), 409, code="4150")  # answered, and counted
    _refused(epayment_api.create(body), problem)
    assert epayment_api.create().status_code == 201  # another reference
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    assert epayment_api.create(body, keys=other).status_code == 201  # the same reference at another MSN


def test_reads_are_counted_per_reference_and_subscription_key(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment()
    path = f"/epayment/v1/payments/{reference}"
    for _ in range(120):
        assert epayment_api.get(path, check=False).status_code == 200
    assert _refused(epayment_api.get(path), problem) == 60
    assert epayment_api.get(path + "/events").status_code == 200  # the event log is counted apart
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    problem(epayment_api.get(path, keys=other), 404, code="5090")  # another subscription key: not limited
    epayment_emulator.settings.rate_limit_reads_per_minute = 2
    assert epayment_api.get(path + "/events").status_code == 200
    _refused(epayment_api.get(path + "/events"), problem)
    epayment_emulator.clock.advance(60)
    assert epayment_api.get(path).status_code == 200


def test_limits_are_settings_and_zero_switches_them_off(epayment_api, epayment_emulator, problem):
    answer = epayment_api.control("POST", "/emulator/settings", {"rate_limit_modifications_per_minute": 0})
    assert answer.status_code == 200
    reference = epayment_api.authorized_payment(value=10000)
    assert all(epayment_api.capture(reference, 100).status_code == 200 for _ in range(8))
    epayment_api.control("POST", "/emulator/settings", {"rate_limit_modifications_per_minute": 1})
    assert epayment_api.capture(reference, 100).status_code == 200  # nothing was counted while off
    _refused(epayment_api.capture(reference, 100), problem)
    assert epayment_api.control("POST", "/emulator/settings",
                                {"rate_limit_reads_per_minute": 1.5}).status_code == 400
