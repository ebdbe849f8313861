"""The seam's neutral words for what each API says in its own: a refusal's ``reason`` and ``status_name``.

Each API maps its own error codes to a ``Reason`` where it builds the typed error, and names the state one
of our own calls reached (created, captured, cancelled) as it stores it for support: v10 as its own reads
then show it; ePayment with the texts this addon stored before the provider named them.
"""

import json
import uuid
from decimal import Decimal

import pytest
import requests

from mobilepay import errors
from mobilepay.epayment import errors as epayment_errors
from mobilepay.epayment.provider import EPaymentProvider
from mobilepay.epayment.schemas import EventName, Problem, State
from mobilepay.provider import PaymentProvider, PaymentState, PosSpec, RefundState
from mobilepay.v10.answers import read_answer
from mobilepay.v10.auth import clear_token_cache as clear_v10_tokens
from mobilepay.v10.provider import make_provider as make_v10_provider


def v10_answer(status, body):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


@pytest.mark.parametrize(
    "status, code, error_class, reason",
    [
        (409, "1000", errors.MobilePayConflict, errors.Reason.POS_NOT_FOUND),
        (409, "1301", errors.MobilePayConflict, errors.Reason.PAYMENT_ALREADY_ACTIVE),
        (409, "1202", errors.MobilePayConflict, errors.Reason.BEACON_IN_USE),
        (409, "1354", errors.MobilePayConflict, errors.Reason.NOT_CAPTURED),
        (409, "1365", errors.MobilePayConflict, errors.Reason.REFUND_CURRENCY_DIFFERS),
        (409, "1366", errors.MobilePayConflict, errors.Reason.REFUND_TOO_OLD),
        (409, "1367", errors.MobilePayConflict, errors.Reason.REFUND_TOO_HIGH),
        (409, "1368", errors.MobilePayConflict, errors.Reason.BALANCE_TOO_LOW),
        (409, "1300", errors.MobilePayConflict, None),
        (400, "1102", errors.MobilePayBadRequest, None),
        (500, "2000", errors.MobilePayServerError, None),
    ],
)
def test_v10_codes_become_neutral_reasons(status, code, error_class, reason):
    with pytest.raises(error_class) as caught:
        read_answer(v10_answer(status, {"code": code, "message": "refused"}), "POST", "/pos/v10/payments")
    assert caught.value.code == code and caught.value.reason is reason


def test_a_v10_answer_without_a_code_has_no_reason():
    with pytest.raises(errors.MobilePayConflict) as caught:
        read_answer(v10_answer(409, {}), "POST", "/pos/v10/payments")
    assert caught.value.reason is None


def problem(code):
    return Problem.model_validate({"title": "refused", "extraDetails": [{"name": "errorCode", "reason": code}]})


@pytest.mark.parametrize(
    "code, reason",
    [("6150", errors.Reason.REFUND_TOO_HIGH), ("6220", errors.Reason.REFUND_TOO_OLD), ("6040", None), (None, None)],
)
def test_epayment_codes_become_neutral_reasons(code, reason):
    error = epayment_errors.error_for(400, problem(code) if code else None, "POST", "/epayment/v1/payments/x/refund")
    assert isinstance(error, errors.MobilePayBadRequest) and error.code == code and error.reason is reason


def test_a_busy_answer_has_no_reason():
    error = epayment_errors.error_for(409, problem("6160"), "POST", "/epayment/v1/payments/x/capture")
    assert errors.is_busy(error) and error.reason is None


def test_a_provider_names_nothing_unless_it_says():
    assert PaymentProvider.status_name(None, PaymentState.CAPTURED) is None  # the seam's default


def test_epayment_names_what_our_calls_make_in_its_own_words():
    provider = EPaymentProvider.__new__(EPaymentProvider)  # status_name needs no connection
    assert provider.status_name(RefundState.CAPTURED) == "REFUNDED"
    assert provider.status_name(RefundState.CANCELLED_BY_PROVIDER) == "REFUND_FAILED"
    assert [provider.status_name(state) for state in (PaymentState.WAITING_FOR_CUSTOMER,
                                                      PaymentState.WAITING_FOR_APPROVAL,
                                                      PaymentState.CAPTURED,
                                                      PaymentState.CANCELLED_BY_CASHIER)] == [
        "CREATED", "CREATED", "CAPTURED", "CANCELLED"]
    assert provider.status_name(RefundState.PENDING) == "REFUND_REQUESTED"  # ePayment has no word for it
    assert provider.status_name(PaymentState.RESERVED) is None
    ours = {"REFUND_REQUESTED", "REFUND_FAILED"}
    epayment_words = {state.value for state in State} | {event.value for event in EventName}
    named = {provider.status_name(state) for state in (*PaymentState, *RefundState)} - {None}
    assert named - ours <= epayment_words


@pytest.fixture
def v10(emulator):
    clear_v10_tokens()
    provider = make_v10_provider("emulator", client_id=emulator.demo.client_id,
                                 client_secret=emulator.demo.client_secret,
                                 merchant_vat=emulator.demo.merchant_vat, base_url=emulator.base_url)
    spec = PosSpec(merchant_pos_id=f"names-{uuid.uuid4().hex[:8]}", name="Till 1", store_id=emulator.demo.store_id)
    return provider, provider.ensure_pos(spec, str(uuid.uuid4()))


def test_v10_names_what_our_calls_reach_as_its_reads_then_show_it(v10, emulator):
    provider, pos = v10

    def start():
        return provider.start_payment(pos_id=pos.pos_id, order_id=str(uuid.uuid4()), amount=Decimal("10.00"),
                                      currency="DKK", idempotency_key=str(uuid.uuid4()))

    def shown(payment_id):
        return provider.get_payment(payment_id).provider_status

    cancelled = start()
    assert shown(cancelled) == provider.status_name(PaymentState.WAITING_FOR_CUSTOMER)
    provider.cancel_payment(cancelled)
    assert shown(cancelled) == provider.status_name(PaymentState.CANCELLED_BY_CASHIER)
    paid = start()
    emulator.user_checkin(pos.beacon_id)
    emulator.user_accept_payment(pos.beacon_id)
    provider.capture_payment(paid, Decimal("10.00"))
    assert shown(paid) == provider.status_name(PaymentState.CAPTURED)
    refund_id = provider.start_refund(payment_id=paid, refund_order_id="refund-1", amount=Decimal("4.00"),
                                      currency="DKK", idempotency_key=str(uuid.uuid4()))
    assert provider.get_refund(refund_id).provider_status == provider.status_name(RefundState.PENDING)
    emulator.reserve_refund(refund_id)
    provider.capture_refund(refund_id)
    assert provider.get_refund(refund_id).provider_status == provider.status_name(RefundState.CAPTURED)
    other = provider.start_refund(payment_id=paid, refund_order_id="refund-2", amount=Decimal("1.00"),
                                  currency="DKK", idempotency_key=str(uuid.uuid4()))
    provider.cancel_refund(other)
    assert provider.get_refund(other).provider_status == provider.status_name(RefundState.CANCELLED_BY_CASHIER)
