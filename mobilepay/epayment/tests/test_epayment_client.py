"""The ePayment client over real HTTP against the ePayment emulator, its traffic checked against the specs."""

import time

import pytest
import requests

from mobilepay import errors
from mobilepay.epayment import errors as epayment_errors
from mobilepay.epayment.auth import AccessTokenProvider, clear_token_cache
from mobilepay.epayment.client import EPaymentClient
from mobilepay.epayment.config import EPaymentConfig
from mobilepay.epayment.environments import by_name
from mobilepay.epayment.qr_client import QrClient
from mobilepay.epayment.schemas import PAYMENT_WEBHOOK_EVENTS, EventName, QrImageFormat, State
from mobilepay.epayment.webhooks_client import WebhooksClient
from mobilepay.transport import make_session

DKK = lambda value: {"currency": "DKK", "value": value}  # noqa: E731


def checked(contract, response):
    """Checks an answer against the spec, except the 5xx that the tests inject (no spec lists them)."""
    if response.status_code < 500:
        contract.check(response)


def config_for(emu, **overrides):
    values = dict(hosts=by_name("emulator", emu.base_url), client_id=emu.demo.client_id,
                  client_secret=emu.demo.client_secret, subscription_key=emu.demo.subscription_key,
                  msn=emu.demo.msn, timeout=2.0, backoff_factor=0.01)
    values.update(overrides)
    return EPaymentConfig(**values)


def checked_session(contract, retries=2):
    session = make_session(retries, 0.01)
    session.trust_env = False
    session.hooks["response"].append(lambda response, **kw: checked(contract, response))
    return session


@pytest.fixture
def client(epayment_emulator, epayment_contract):
    clear_token_cache()
    return EPaymentClient(config_for(epayment_emulator), session=checked_session(epayment_contract))


_counter = [0]


def new_reference():
    _counter[0] += 1
    return f"odoo-test-{_counter[0]:05d}-{id(_counter) % 10000:04d}"


def qr_payment(client, value=12550, reference=None, key=None):
    reference = reference or new_reference()
    answer = client.create_qr_payment(reference=reference, amount=DKK(value), idempotency_key=key or f"{reference}-c")
    return reference, answer


def test_token_is_fetched_once_and_renewed_after_a_401(client, epayment_emulator):
    reference, _ = qr_payment(client)
    client.get_payment(reference)
    assert client.tokens.requests_made == 1
    epayment_emulator.clock.advance(3600 * 25)  # every token has expired at the emulator (and the payment)
    assert client.get_payment(reference).state is State.EXPIRED
    assert client.tokens.requests_made == 2


def test_wrong_keys_are_an_authentication_error_without_the_secret(epayment_emulator):
    clear_token_cache()
    bad = EPaymentClient(config_for(epayment_emulator, client_secret="wrong-secret-value"))
    with pytest.raises(errors.MobilePayAuthenticationError) as caught:
        bad.get_payment("odoo-anything-1")
    assert "wrong-secret-value" not in str(caught.value)
    assert not errors.outcome_unknown(caught.value)


def test_one_time_qr_flow_to_capture_and_refunds(client, epayment_emulator):
    reference, answer = qr_payment(client)
    assert answer.reference == reference and answer.redirect_url.startswith(epayment_emulator.base_url)
    image = requests.get(answer.redirect_url, timeout=5)
    assert image.status_code == 200 and "svg" in image.headers["Content-Type"]
    assert client.get_payment(reference).state is State.CREATED
    epayment_emulator.approve(reference)
    payment = client.get_payment(reference)
    assert payment.state is State.AUTHORIZED and payment.aggregate.authorized_amount.value == 12550
    assert payment.capture_guaranteed_until
    captured = client.capture(reference, DKK(12550), f"{reference}-capture")
    assert captured.aggregate.captured_amount.value == 12550 and captured.state is State.AUTHORIZED
    again = client.capture(reference, DKK(12550), f"{reference}-capture")  # a retry changes nothing
    assert again.aggregate.captured_amount.value == 12550
    client.refund(reference, DKK(5000), f"{reference}-refund-1")
    client.refund(reference, DKK(2550), f"{reference}-refund-2")
    with pytest.raises(errors.MobilePayApiError) as over:
        client.refund(reference, DKK(5001), f"{reference}-refund-3")
    assert over.value.code == epayment_errors.NOT_ENOUGH_REFUNDABLE and not errors.outcome_unknown(over.value)
    assert client.get_payment(reference).aggregate.refunded_amount.value == 7550
    events = client.get_events(reference)
    assert [e.name for e in events] == [EventName.CREATED, EventName.AUTHORIZED, EventName.CAPTURED,
                                        EventName.REFUNDED, EventName.REFUNDED]
    assert [e.idempotency_key for e in events if e.name is EventName.REFUNDED] == [
        f"{reference}-refund-1", f"{reference}-refund-2"]
    assert len({e.psp_reference for e in events}) == len(events)
    assert requests.get(answer.redirect_url, timeout=5).status_code == 404  # the QR ends with the payment


@pytest.mark.parametrize("fmt, content_type", [(QrImageFormat.PNG, "image/png"), (QrImageFormat.SVG, "svg")])
def test_qr_image_formats(client, fmt, content_type):
    reference = new_reference()
    answer = client.create_qr_payment(reference=reference, amount=DKK(100), idempotency_key=f"{reference}-c",
                                      qr_format=fmt, size=300 if fmt is QrImageFormat.PNG else None)
    assert content_type in requests.get(answer.redirect_url, timeout=5).headers["Content-Type"]


def test_phone_and_personal_qr_push_payments(client, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    reference = new_reference()
    answer = client.create_push_payment(reference=reference, amount=DKK(2000), idempotency_key=f"{reference}-c",
                                        phone_number=phone, description="Till 1, receipt 0042",
                                        receipt={"order_lines": [{"name": "Coffee", "id": "p-17", "total_amount": 2000,
                                                                  "total_amount_excluding_tax": 1600,
                                                                  "total_tax_amount": 400, "tax_percentage": 25}],
                                                 "bottom_line": {"currency": "DKK", "pos_id": "Till 1"}})
    assert answer.redirect_url is None
    epayment_emulator.approve(reference)
    assert client.get_payment(reference).state is State.AUTHORIZED
    qr_text = epayment_emulator.demo.personal_qrs[phone]
    second = new_reference()
    client.create_push_payment(reference=second, amount=DKK(100), idempotency_key=f"{second}-c", personal_qr=qr_text)
    epayment_emulator.reject(second)
    assert client.get_payment(second).state is State.ABORTED


def test_unknown_customers_are_refused_with_their_codes(client):
    cases = [({"phone_number": "4599999999"}, "7010"), ({"personal_qr": "https://qr.vipps.no/p/unknown"}, "4060"),
             ({"customer_token": "not-a-token"}, "4050")]
    for customer, code in cases:
        reference = new_reference()
        with pytest.raises(errors.MobilePayApiError) as caught:
            client.create_push_payment(reference=reference, amount=DKK(100), idempotency_key=f"{reference}-c",
                                       **customer)
        assert caught.value.code == code, customer


def test_sticker_checkin_then_payment(client, epayment_emulator, epayment_contract):
    qr = QrClient(config_for(epayment_emulator), session=checked_session(epayment_contract))
    hooks = WebhooksClient(config_for(epayment_emulator), session=checked_session(epayment_contract))
    hooks.register("http://127.0.0.1:9/nowhere", ["user.checked-in.v1"])
    qr.put_callback_qr("till-1", "Kasse 1")
    token = epayment_emulator.scan_callback_qr("till-1")
    reference = new_reference()
    client.create_push_payment(reference=reference, amount=DKK(4200), idempotency_key=f"{reference}-c",
                               customer_token=token)
    epayment_emulator.approve(reference)
    assert client.get_payment(reference).state is State.AUTHORIZED


def test_idempotency_rules(client):
    reference, first = qr_payment(client, key="key-1")
    replay = client.create_qr_payment(reference=reference, amount=DKK(12550), idempotency_key="key-1")
    assert replay.reference == first.reference
    with pytest.raises(errors.MobilePayConflict):
        client.create_qr_payment(reference=reference, amount=DKK(12551), idempotency_key="key-1")
    with pytest.raises(errors.MobilePayApiError) as reused:
        client.create_qr_payment(reference=reference, amount=DKK(12550), idempotency_key="key-2")
    assert reused.value.code == epayment_errors.REFERENCE_EXISTS


def test_cancel_rules(client, epayment_emulator):
    reference, _ = qr_payment(client)
    client.cancel(reference, f"{reference}-cancel")
    assert client.get_payment(reference).state is State.TERMINATED
    approved, _ = qr_payment(client)
    epayment_emulator.approve(approved)
    with pytest.raises(errors.MobilePayApiError) as only:
        client.cancel(approved, f"{approved}-cancel-only", transaction_only=True)
    assert only.value.code == epayment_errors.ALREADY_AUTHORIZED
    client.capture(approved, DKK(5000), f"{approved}-capture-1")  # partial
    released = client.cancel(approved, f"{approved}-cancel")
    assert (released.aggregate.captured_amount.value, released.aggregate.cancelled_amount.value) == (5000, 7550)
    full, _ = qr_payment(client)
    epayment_emulator.approve(full)
    client.capture(full, DKK(12550), f"{full}-capture")
    with pytest.raises(errors.MobilePayApiError) as captured:
        client.cancel(full, f"{full}-cancel")
    assert captured.value.code == epayment_errors.CAPTURED_CANNOT_CANCEL


def test_capture_before_approval_and_above_the_reservation(client, epayment_emulator):
    reference, _ = qr_payment(client)
    with pytest.raises(errors.MobilePayApiError) as early:
        client.capture(reference, DKK(12550), f"{reference}-capture")
    assert early.value.code == epayment_errors.NOT_AUTHORIZED_YET
    epayment_emulator.approve(reference)
    with pytest.raises(errors.MobilePayApiError) as high:
        client.capture(reference, DKK(12551), f"{reference}-capture-2")
    assert high.value.code == "6090"


def test_unknown_reference_is_not_found(client):
    with pytest.raises(errors.MobilePayNotFound) as caught:
        client.get_payment("odoo-never-made")
    assert caught.value.code == epayment_errors.REFERENCE_NOT_FOUND and caught.value.correlation_id


def test_a_lost_answer_is_retried_with_the_same_key(client, epayment_emulator):
    reference = new_reference()
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="drop_after", times=1)
    answer = client.create_qr_payment(reference=reference, amount=DKK(100), idempotency_key=f"{reference}-c")
    assert answer.reference == reference
    assert [e.name for e in client.get_events(reference)] == [EventName.CREATED]


def test_a_persisting_5xx_is_an_unknown_outcome(client, epayment_emulator):
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="status", status=503, times=None)
    with pytest.raises(errors.MobilePayServerError) as caught:
        qr_payment(client)
    assert errors.outcome_unknown(caught.value)


def test_a_slow_answer_is_a_timeout_never_a_failure(epayment_emulator, epayment_contract):
    clear_token_cache()
    slow = EPaymentClient(config_for(epayment_emulator, timeout=0.2, max_retries=0),
                          session=checked_session(epayment_contract, retries=0))
    reference = new_reference()
    slow.tokens.token()
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="latency", latency_ms=600)
    with pytest.raises(errors.MobilePayTimeout) as caught:
        slow.create_qr_payment(reference=reference, amount=DKK(100), idempotency_key=f"{reference}-c")
    assert errors.outcome_unknown(caught.value)
    # ... and rightly so: the request the client gave up on is carried out all the same. (Waiting for
    # it also keeps it from landing in the next test's emulator state.)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert epayment_emulator.payment(reference)["state"] == "CREATED"
            break
        except Exception:  # noqa: BLE001 - not there yet
            time.sleep(0.05)
    else:
        pytest.fail("the timed-out create never reached the emulator")


def test_force_approve_by_phone_number(client, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    reference = new_reference()
    client.create_push_payment(reference=reference, amount=DKK(100), idempotency_key=f"{reference}-c",
                               phone_number=phone)
    client.force_approve(reference, phone_number=phone)
    assert client.get_payment(reference).state is State.AUTHORIZED


def test_webhook_registrations(epayment_emulator, epayment_contract):
    hooks = WebhooksClient(config_for(epayment_emulator), session=checked_session(epayment_contract))
    registration = hooks.register("http://127.0.0.1:9/hook", PAYMENT_WEBHOOK_EVENTS)
    assert registration.secret and "secret" not in repr(registration).split("id=")[0]
    listed = hooks.list().webhooks
    assert [w.id for w in listed] == [registration.id] and set(listed[0].events) == set(PAYMENT_WEBHOOK_EVENTS)
    hooks.delete(registration.id)
    assert hooks.list().webhooks == []
    with pytest.raises(errors.MobilePayValidationError):
        hooks.register("http://127.0.0.1:9/hook", ["epayment.payment.created.v1"])  # the missing "s"


def test_callback_qr_lifecycle_and_v10_sticker(epayment_emulator, epayment_contract):
    qr = QrClient(config_for(epayment_emulator), session=checked_session(epayment_contract))
    qr.put_callback_qr("till-7", "Kasse 7")
    sticker = qr.get_callback_qr("till-7", image_format="PNG", size=600)
    assert sticker.merchant_qr_id == "till-7" and sticker.qr_image_url and sticker.qr_content
    qr.put_callback_qr("till-7", "Kasse syv")
    again = qr.get_callback_qr("till-7")
    assert again.location_description == "Kasse syv" and again.qr_content == sticker.qr_content
    qr.register_v10_beacon("123456789012345", "Old till")
    assert {s.merchant_qr_id for s in qr.list_callback_qrs()} == {"till-7", "123456789012345"}
    qr.delete_callback_qr("till-7")
    with pytest.raises(errors.MobilePayNotFound):
        qr.get_callback_qr("till-7")
    with pytest.raises(errors.MobilePayValidationError):
        qr.put_callback_qr("till 7/../x", "Kasse")
    with pytest.raises(errors.MobilePayValidationError):
        qr.put_callback_qr("till-8", "x" * 37)


def test_token_provider_sends_the_documented_headers(epayment_emulator):
    clear_token_cache()
    seen = []
    session = requests.Session()
    session.trust_env = False
    session.hooks["response"].append(lambda r, **kw: seen.append(r.request.headers))
    provider = AccessTokenProvider(by_name("emulator", epayment_emulator.base_url).token_url,
                                   client_id=epayment_emulator.demo.client_id,
                                   client_secret=epayment_emulator.demo.client_secret,
                                   subscription_key=epayment_emulator.demo.subscription_key,
                                   msn=epayment_emulator.demo.msn, session=session)
    assert provider.token() == provider.token()
    assert len(seen) == 1
    for header in ("client_id", "client_secret", "Ocp-Apim-Subscription-Key", "Merchant-Serial-Number"):
        assert header in seen[0]
