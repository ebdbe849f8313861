"""One provider-level suite, run on both backends: the PoS API v10 and the ePayment API (each on its emulator).

Everything here goes through the neutral seam (``mobilepay.provider``) only, as the Odoo
layer does. Where the backends differ, the test reads the provider's capabilities, never
its name: a refund that is final at once (ePayment) is not captured again; check-ins are
polled on v10 and pushed on ePayment.
"""

import uuid
from decimal import Decimal

import pytest

from mobilepay import errors
from mobilepay.epayment.auth import clear_token_cache as clear_epayment_tokens
from mobilepay.epayment.provider import make_provider as make_epayment_provider
from mobilepay.provider import PaymentFlow, PaymentRequest, PaymentState, PosSpec, RefundState
from mobilepay.v10.auth import clear_token_cache as clear_v10_tokens
from mobilepay.v10.provider import make_provider as make_v10_provider


def checked(contract, response):
    """Checks an answer against the spec, except the 5xx that the tests inject (no spec lists them)."""
    if response.status_code < 500:
        contract.check(response)


def new_key():
    return str(uuid.uuid4())


class V10Backend:
    create_path = "/pos/v10/payments"

    def __init__(self, emulator, contract):
        clear_v10_tokens()
        self.emulator = emulator
        self.provider = make_v10_provider("emulator", client_id=emulator.demo.client_id,
                                          client_secret=emulator.demo.client_secret,
                                          merchant_vat=emulator.demo.merchant_vat, base_url=emulator.base_url)
        self.provider.client.session.hooks["response"].append(lambda r, **kw: checked(contract, r))
        self.spec = PosSpec(merchant_pos_id=f"suite-{new_key()[:8]}", name="Till 1", store_id=emulator.demo.store_id)

    def pays(self, payment_id, pos):
        self.emulator.user_checkin(pos.beacon_id)
        self.emulator.user_accept_payment(pos.beacon_id)

    def cancels(self, payment_id, pos):
        self.emulator.user_checkin(pos.beacon_id)
        self.emulator.user_cancel_payment(pos.beacon_id)

    def lose_next_create_answer(self):
        self.emulator.faults.add(method="POST", path=self.create_path, kind="drop_after", times=1)

    def fail_creates(self):
        self.emulator.faults.add(method="POST", path=self.create_path, kind="status", status=503, times=None)

    def wait_refund_reserved(self, refund_id):
        self.emulator.reserve_refund(refund_id)


class EPaymentBackend:
    create_path = "/epayment/v1/payments"

    def __init__(self, emulator, contract):
        clear_epayment_tokens()
        self.emulator = emulator
        self.provider = make_epayment_provider("emulator", client_id=emulator.demo.client_id,
                                               client_secret=emulator.demo.client_secret,
                                               subscription_key=emulator.demo.subscription_key,
                                               msn=emulator.demo.msn, base_url=emulator.base_url)
        self.provider.client.session.hooks["response"].append(lambda r, **kw: checked(contract, r))
        self.spec = PosSpec(merchant_pos_id=f"suite-{new_key()[:8]}", name="Till 1", store_id="")

    def pays(self, payment_id, pos):
        self.emulator.approve(payment_id)

    def cancels(self, payment_id, pos):
        self.emulator.reject(payment_id)

    def lose_next_create_answer(self):
        self.emulator.faults.add(method="POST", path=self.create_path, kind="drop_after", times=1)

    def fail_creates(self):
        self.emulator.faults.add(method="POST", path=self.create_path, kind="status", status=503, times=None)

    def wait_refund_reserved(self, refund_id):
        raise AssertionError("ePayment refunds are final at once")


@pytest.fixture(params=["v10", "epayment"])
def backend(request):
    if request.param == "v10":
        return V10Backend(request.getfixturevalue("emulator"), request.getfixturevalue("contract"))
    return EPaymentBackend(request.getfixturevalue("epayment_emulator"), request.getfixturevalue("epayment_contract"))


@pytest.fixture
def pos(backend):
    return backend.provider.ensure_pos(backend.spec, new_key())


def start(backend, pos, amount="125.50", order_id=None, key=None):
    order_id = order_id or new_key()  # a POS line uuid, as the Odoo layer sends
    request = PaymentRequest(order_id=order_id, reference=order_id, amount=Decimal(amount), currency="DKK",
                             idempotency_key=key or new_key(), pos_id=pos.pos_id, label="Order 0042-0007")
    return request, backend.provider.create_payment(request)


def settle_refund(backend, refund_id, payment_id):
    """Bring a started refund to the customer, as the poller does."""
    provider = backend.provider
    snapshot = provider.get_refund(refund_id, payment_id=payment_id)
    if not provider.refunds_are_final:
        assert snapshot.state is RefundState.PENDING or snapshot.state is RefundState.RESERVED
        backend.wait_refund_reserved(refund_id)
        assert provider.get_refund(refund_id, payment_id=payment_id).state is RefundState.RESERVED
        provider.capture_refund(refund_id)
    return provider.get_refund(refund_id, payment_id=payment_id)


def test_the_pos_registers_once(backend, pos):
    again = backend.provider.ensure_pos(backend.spec, new_key())
    assert again.pos_id == pos.pos_id and not again.created and pos.created
    assert again.qr_payload == pos.qr_payload and pos.qr_payload
    backend.provider.delete_pos(pos.pos_id)
    backend.provider.delete_pos(pos.pos_id)  # already gone counts as done


def test_pay_capture_and_refunds(backend, pos):
    provider = backend.provider
    request, started = start(backend, pos)
    waiting = provider.get_payment(started.payment_id)
    assert not waiting.state.is_final and waiting.order_id == request.order_id
    assert (waiting.amount, waiting.currency) == (Decimal("125.50"), "DKK")
    backend.pays(started.payment_id, pos)
    assert provider.get_payment(started.payment_id).state is PaymentState.RESERVED
    provider.capture_payment(started.payment_id, Decimal("125.50"))
    provider.capture_payment(started.payment_id, Decimal("125.50"))  # repeating it is harmless
    assert provider.get_payment(started.payment_id).state is PaymentState.CAPTURED
    first_key = new_key()
    refund_id = provider.start_refund(payment_id=started.payment_id, refund_order_id="refund-1",
                                      amount=Decimal("100.00"), currency="DKK", idempotency_key=first_key)
    done = settle_refund(backend, refund_id, started.payment_id)
    assert (done.state, done.amount) == (RefundState.CAPTURED, Decimal("100.00"))
    found = provider.find_refund(started.payment_id, "refund-1", idempotency_key=first_key)
    assert found.refund_id == refund_id
    assert provider.find_refund(started.payment_id, "refund-9", idempotency_key=new_key()) is None
    with pytest.raises(errors.MobilePayApiError) as over:
        provider.start_refund(payment_id=started.payment_id, refund_order_id="refund-2", amount=Decimal("25.51"),
                              currency="DKK", idempotency_key=new_key())
    assert not errors.outcome_unknown(over.value)
    assert over.value.reason is errors.Reason.REFUND_TOO_HIGH  # each API's code, in neutral words


def test_customer_cancels(backend, pos):
    _, started = start(backend, pos)
    backend.cancels(started.payment_id, pos)
    snapshot = backend.provider.get_payment(started.payment_id)
    assert snapshot.state is PaymentState.CANCELLED_BY_CUSTOMER and snapshot.state.is_final


def test_cashier_cancels_before_and_after_approval(backend, pos):
    provider = backend.provider
    _, started = start(backend, pos)
    provider.cancel_payment(started.payment_id)
    assert provider.get_payment(started.payment_id).state is PaymentState.CANCELLED_BY_CASHIER
    _, second = start(backend, pos)
    backend.pays(second.payment_id, pos)
    provider.cancel_payment(second.payment_id)  # the reservation is released
    assert provider.get_payment(second.payment_id).state is PaymentState.CANCELLED_BY_CASHIER


def test_a_lost_create_answer_is_recovered_with_the_same_key(backend, pos):
    provider = backend.provider
    backend.lose_next_create_answer()
    request, started = start(backend, pos, key="5b0a5a4e-8f7e-4b59-9d7a-0c1f2e3d4c5b")
    retried = provider.create_payment(request)  # the caller re-sends with its stored key
    assert retried.payment_id == started.payment_id
    found = provider.find_payment(request.order_id, reference=request.reference)
    assert found.payment_id == started.payment_id


def test_nothing_found_for_an_order_that_was_never_started(backend, pos):
    assert backend.provider.find_payment("line-never-started-1", reference="line-never-started-1") is None


def test_a_service_that_keeps_failing_leaves_the_outcome_unknown(backend, pos):
    backend.fail_creates()
    with pytest.raises(errors.MobilePayError) as caught:
        start(backend, pos)
    assert errors.outcome_unknown(caught.value)


def test_flows_and_checkins_are_capabilities(backend, pos):
    provider = backend.provider
    assert PaymentFlow.QR_ON_SCREEN in provider.flows
    if provider.checkin_polling:
        assert provider.is_customer_checked_in(pos.pos_id) is False
    else:
        with pytest.raises(NotImplementedError):
            provider.is_customer_checked_in(pos.pos_id)
    if PaymentFlow.PHONE_NUMBER not in provider.flows:
        request = PaymentRequest(order_id="line-x", amount=Decimal(1), currency="DKK", idempotency_key=new_key(),
                                 pos_id=pos.pos_id, flow=PaymentFlow.PHONE_NUMBER, customer="4512345678")
        with pytest.raises(NotImplementedError):
            provider.create_payment(request)


def test_invalid_amounts_are_refused_before_any_call(backend, pos):
    with pytest.raises(errors.MobilePayValidationError):
        start(backend, pos, amount="1.005")
