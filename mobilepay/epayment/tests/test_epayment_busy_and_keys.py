"""Busy answers and refusals kept per key, as the ePayment client and provider meet them.

* A busy answer (423/429, or a "try again" code) after a lost answer is an unknown outcome,
  never a refusal: the lost attempt may have made the payment.
* A refusal Vipps MobilePay keeps for its Idempotency-Key replays for that key: a later
  capture or cancel is a new attempt with a new key, derived from the attempt number.
* A capture answers the payment's captured total as Vipps MobilePay reports it.
"""

from decimal import Decimal

import pytest
import requests

from mobilepay import errors
from mobilepay.epayment.auth import clear_token_cache
from mobilepay.epayment.errors import EPaymentBusy
from mobilepay.epayment.provider import derived_key, make_provider
from mobilepay.provider import PaymentState
from mobilepay.transport import BUSY_STATUSES, RETRY_STATUSES, JitterRetry, make_session, retry_after_seconds


@pytest.fixture
def provider(epayment_emulator):
    clear_token_cache()
    emu = epayment_emulator
    session = make_session(2, 0.01, RETRY_STATUSES | BUSY_STATUSES)
    session.trust_env = False
    return make_provider("emulator", client_id=emu.demo.client_id, client_secret=emu.demo.client_secret,
                         subscription_key=emu.demo.subscription_key, msn=emu.demo.msn, base_url=emu.base_url,
                         session=session, timeout=2.0)


def _create(provider, reference, value=10000):
    return provider.client.create_qr_payment(reference=reference, amount={"currency": "DKK", "value": value},
                                             idempotency_key=f"{reference}-create")


def test_a_busy_answer_after_a_lost_answer_is_an_unknown_outcome(provider, epayment_emulator):
    """The create is made, its answer lost; every retry with the same key is answered 429: the
    error must say "unknown", because the payment exists."""
    reference = "odoo-busy-after-lost-1"
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="drop_after", times=1)
    epayment_emulator.faults.add(method="POST", path="/epayment/v1/payments", kind="status", status=429,
                                 times=None)
    with pytest.raises(EPaymentBusy) as caught:
        _create(provider, reference)
    epayment_emulator.faults.clear()
    assert errors.is_busy(caught.value) and errors.outcome_unknown(caught.value)
    assert not caught.value.key_is_spent, "a 429 was not processed: the same key may go again"
    assert epayment_emulator.payment(reference)["state"] == "CREATED", "the lost attempt made it"
    # The same key, once Vipps MobilePay is no longer busy, brings back what the first attempt made.
    assert _create(provider, reference).reference == reference


def test_a_refusal_kept_for_its_key_needs_a_new_attempt(provider, epayment_emulator):
    """A capture refused before approval (6080) is kept for its key; after the approval the same
    attempt replays the refusal, the next attempt (a new key) captures."""
    reference = "odoo-sticky-refusal-1"
    _create(provider, reference)
    with pytest.raises(errors.MobilePayApiError) as refused:
        provider.capture_payment(reference, Decimal("100.00"), currency="DKK")
    assert refused.value.code == "6080" and not errors.outcome_unknown(refused.value)
    epayment_emulator.approve(reference)
    with pytest.raises(errors.MobilePayApiError) as replayed:
        provider.capture_payment(reference, Decimal("100.00"), currency="DKK")
    assert replayed.value.code == "6080", "Vipps MobilePay keeps the refusal for the key"
    captured = provider.capture_payment(reference, Decimal("100.00"), currency="DKK", attempt=1)
    assert captured == Decimal("100.00"), "the captured total as Vipps MobilePay answers it"
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 10000
    # A later attempt of a capture already made cannot take the money twice: nothing is left to capture.
    with pytest.raises(errors.MobilePayApiError) as again:
        provider.capture_payment(reference, Decimal("100.00"), currency="DKK", attempt=2)
    assert again.value.code == "6090"
    assert epayment_emulator.payment(reference)["aggregate"]["capturedAmount"]["value"] == 10000


def test_a_cancel_refused_while_the_customer_approves_is_tried_again_with_a_new_key(provider, epayment_emulator):
    reference = "odoo-cancel-approving-1"
    _create(provider, reference)
    epayment_emulator.set_processing(reference)
    with pytest.raises(EPaymentBusy) as busy:
        provider.cancel_payment(reference)
    assert busy.value.code == "6250" and busy.value.key_is_spent
    epayment_emulator.set_processing(reference, False)
    epayment_emulator.approve(reference)
    with pytest.raises(EPaymentBusy):
        provider.cancel_payment(reference)  # the same key: the refusal comes back, forever
    provider.cancel_payment(reference, attempt=1)
    aggregate = epayment_emulator.payment(reference)["aggregate"]
    assert aggregate["cancelledAmount"]["value"] == aggregate["authorizedAmount"]["value"] == 10000


def test_attempt_keys_are_stable_and_the_first_is_the_old_one():
    assert derived_key("ref-12345678", "capture", 100) == derived_key("ref-12345678", "capture", 100)
    first = derived_key("ref-12345678", "cancel")
    later = {derived_key("ref-12345678", "cancel", f"attempt-{n}") for n in (1, 2, 3)}
    assert first not in later and len(later) == 3


def test_a_long_retry_after_is_not_slept_inside_one_call():
    response = requests.Response()
    response.headers["Retry-After"] = "60"

    class Raw:
        def getheader(self, name, default=None):
            return response.headers.get(name, default)

        headers = response.headers

    assert JitterRetry().get_retry_after(Raw()) == JitterRetry.retry_after_cap
    assert retry_after_seconds("60") == 60 and retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_cancel_answers_the_state_the_payment_is_in(provider, epayment_emulator):
    """A customer who rejected just before the cashier's cancel stays 'cancelled by the customer'."""
    reference = "odoo-cancel-after-reject-1"
    _create(provider, reference)
    epayment_emulator.reject(reference)
    assert provider.cancel_payment(reference) is PaymentState.CANCELLED_BY_CUSTOMER
    approved = "odoo-cancel-after-approve-1"
    _create(provider, approved)
    epayment_emulator.approve(approved)
    assert provider.cancel_payment(approved) is PaymentState.CANCELLED_BY_CASHIER
