"""``PaymentProvider`` on the Vipps MobilePay ePayment API (or its emulator).

How the v10-shaped seam maps (ePayment API.md sections 13 and 14):

* the PoS is the till's merchant-callback QR sticker (``ensure_pos`` creates it, or keeps a
  printed v10 sticker working with its beacon id); there is no PoS lock, so
  ``active_payments`` is empty and a second payment on a till is the caller's to prevent;
* the payment id is our ``reference``, chosen and stored before the call; the order id and
  the flow travel in ``metadata`` and come back with GET;
* capture and cancel need idempotency keys too; when the caller gives none they are derived
  from the reference and the body, so a retry after a crash sends the same key;
* a refund is one final step: its id is its idempotency key, which the REFUNDED event echoes;
* check-ins are pushed only (``read_notification``), never polled.
"""

from decimal import Decimal

from ..errors import MobilePayApiError, MobilePayForbidden, MobilePayNotFound, MobilePayValidationError
from ..provider import (
    PaymentFlow,
    PaymentProvider,
    PaymentRequest,
    PaymentSnapshot,
    PaymentState,
    PosRegistration,
    RefundSnapshot,
    RefundState,
    StartedPayment,
)
from .client import EPaymentClient
from .config import EPaymentConfig
from .environments import by_name
from .errors import ALREADY_AUTHORIZED, REFERENCE_NOT_FOUND
from .provider_terms import (
    PUSH_FIELDS,
    attempt_parts,
    checked_reference,
    derived_key,
    major_units,
    merchant_qr_id,
    minor_units,
    msisdn,
    notice_from_delivery,
    payment_state,
    provider_status,
    quantity_text,
    state_after_cancel,
)
from .qr_client import QrClient
from .schemas import (
    CHECKED_IN_EVENT,
    PAYMENT_WEBHOOK_EVENTS,
    EventName,
    State,
)
from .webhooks_client import WebhooksClient

DEFAULT_POLL_DELAY_MS = 1000  # "1-2 s is reasonable while a cashier waits" (API.md 9)
# The status texts stored when one of our own calls made a payment or refund so (``status_name``), in
# ePayment's words: the state a created payment is in, the event our capture or cancel makes. A refund is
# final when made and is named after its event, as ``get_refund`` names it; before its answer it is only
# requested (ePayment has no word for that). Rows of 19.0.1.2.0 and before kept the PoS API v10's texts
# here; ``provider_status`` is for support and history only, nothing branches on it.
PAYMENT_STATUS_NAMES = {
    PaymentState.WAITING_FOR_CUSTOMER: State.CREATED.value,
    PaymentState.WAITING_FOR_APPROVAL: State.CREATED.value,
    PaymentState.CAPTURED: EventName.CAPTURED.value,
    PaymentState.CANCELLED_BY_CASHIER: EventName.CANCELLED.value,
}
REFUNDED = EventName.REFUNDED.value
REFUND_FAILED = "REFUND_FAILED"
REFUND_STATUS_NAMES = {
    RefundState.PENDING: "REFUND_REQUESTED",
    RefundState.CAPTURED: REFUNDED,
    RefundState.CANCELLED_BY_CASHIER: REFUND_FAILED,
    RefundState.CANCELLED_BY_PROVIDER: REFUND_FAILED,
}


class EPaymentProvider(PaymentProvider):
    name = "vipps_epayment"
    flows = frozenset(PaymentFlow)
    checkin_polling = False
    refunds_are_final = True
    merchant_chooses_reference = True
    one_payment_per_pos = False
    payments_need_pos = False
    has_store_lookup = False

    def __init__(self, config, session=None, poll_delay_ms=DEFAULT_POLL_DELAY_MS):
        self.config = config
        self.client = EPaymentClient(config, session=session)
        self.webhooks = WebhooksClient(config, session=self.client.session, tokens=self.client.tokens)
        self.qr = QrClient(config, session=self.client.session, tokens=self.client.tokens)
        self.poll_delay_ms = poll_delay_ms

    def status_name(self, state):
        # Payment and refund states share their values: told apart by their type.
        return (REFUND_STATUS_NAMES if isinstance(state, RefundState) else PAYMENT_STATUS_NAMES).get(state)

    # ------------------------------------------------------------------ set-up

    def test_connection(self):
        try:
            self.client.get_payment("odoo-connection-check")
        except MobilePayNotFound:
            pass  # keys accepted, ePayment answers: the reference simply does not exist
        except MobilePayForbidden:
            raise MobilePayValidationError(
                "The keys work, but the ePayment API is not active for this sales unit (HTTP 403)."
            ) from None
        registrations = self.webhooks.list().webhooks
        return (f"Connected to Vipps MobilePay ({self.config.hosts.name}), sales unit {self.config.msn}: "
                f"{len(registrations)} webhook registration(s).")

    def resolve_store(self, merchant_brand_id, merchant_location_id):
        raise MobilePayValidationError(
            "The ePayment API has no store lookup: the sales unit is chosen by its merchant serial number (MSN)."
        )

    def ensure_pos(self, spec, idempotency_key):
        """The till's sticker: created (or its description updated), or a v10 sticker migrated (API.md 11.4)."""
        qr_id = merchant_qr_id(spec.beacon_id or spec.merchant_pos_id)
        existed = self._callback_qr(qr_id) is not None
        description = spec.name[:36]
        if spec.migrate_v10_beacon and spec.beacon_id:
            self.qr.register_v10_beacon(qr_id, description)
        else:
            self.qr.put_callback_qr(qr_id, description)
        sticker = self.qr.get_callback_qr(qr_id)
        return PosRegistration(pos_id=qr_id, beacon_id=qr_id, qr_payload=sticker.qr_content or "",
                               created=not existed, qr_image_url=sticker.qr_image_url)

    def _callback_qr(self, qr_id):
        try:
            return self.qr.get_callback_qr(qr_id)
        except MobilePayNotFound:
            return None

    def delete_pos(self, pos_id):
        try:
            self.qr.delete_callback_qr(merchant_qr_id(pos_id))
        except MobilePayNotFound:
            pass

    def is_customer_checked_in(self, pos_id):
        raise NotImplementedError("ePayment check-ins cannot be polled; they arrive as user.checked-in.v1 webhooks")

    def register_webhooks(self, url, checkins=True, payments=True):
        """Register ``url`` for every payment event and/or check-ins; the secret is returned once: store it.

        Vipps MobilePay takes one check-in registration per sales unit (API.md 10.1), so a caller that
        replaces its registrations keeps the two apart: payment events are registered anew before the
        old registration goes, check-ins only after."""
        events = (list(PAYMENT_WEBHOOK_EVENTS) if payments else []) + ([CHECKED_IN_EVENT] if checkins else [])
        return self.webhooks.register(url, events)

    def webhook_registrations(self):
        return self.webhooks.list().webhooks

    def delete_webhook(self, webhook_id):
        try:
            self.webhooks.delete(webhook_id)
        except MobilePayNotFound:
            pass

    def read_notification(self, raw_body, headers, secrets_by_url):
        return notice_from_delivery(raw_body, headers, secrets_by_url)

    # ------------------------------------------------------------------ payments

    def create_payment(self, request):
        reference = checked_reference(request.reference or request.order_id)
        amount = minor_units(request.amount, request.currency)
        extra = {
            "description": (request.label or "")[:100] if request.label and len(request.label) >= 3 else None,
            "receipt": self._receipt(request),
            "metadata": {"orderId": request.order_id[:500], "flow": request.flow.value},
            "minimum_user_age": request.minimum_user_age,
        }
        if request.flow is PaymentFlow.QR_ON_SCREEN:
            answer = self.client.create_qr_payment(reference=reference, amount=amount,
                                                   idempotency_key=request.idempotency_key, **extra)
            return StartedPayment(payment_id=answer.reference, qr_url=answer.redirect_url)
        customer = request.customer
        if not customer:
            raise MobilePayValidationError("This payment flow needs the customer's phone number, code or check-in.")
        if request.flow is PaymentFlow.PHONE_NUMBER:
            customer = msisdn(customer)  # the caller made it whole (its shop's country code)
        answer = self.client.create_push_payment(reference=reference, amount=amount,
                                                 idempotency_key=request.idempotency_key,
                                                 **{PUSH_FIELDS[request.flow]: customer}, **extra)
        return StartedPayment(payment_id=answer.reference)

    @staticmethod
    def _receipt(request):
        if not request.receipt:
            return None
        lines = []
        for line in request.receipt:
            total = minor_units(line.total, request.currency)["value"]
            tax = minor_units(line.tax, request.currency)["value"]
            lines.append({
                "name": line.name[:2048] or "-",
                "id": line.line_id[:255],
                "total_amount": total,
                "total_amount_excluding_tax": total - tax,
                "total_tax_amount": tax,
                "tax_percentage": max(0, min(100, int(line.tax_percentage))),
                "unit_info": {
                    "unit_price": minor_units(abs(line.unit_price), request.currency)["value"],
                    "quantity": quantity_text(line.quantity),
                    "quantity_unit": "PCS",
                },
                "discount": minor_units(line.discount, request.currency)["value"] if line.discount else None,
                "is_return": total < 0 or None,
            })
        bottom = {"currency": request.currency, "pos_id": request.till_name, "receipt_number": request.receipt_number}
        return {"order_lines": lines, "bottom_line": bottom}

    def start_payment(self, *, pos_id, order_id, amount, currency, idempotency_key, label=None):
        request = PaymentRequest(order_id=order_id, amount=amount, currency=currency,
                                 idempotency_key=idempotency_key, pos_id=pos_id, flow=PaymentFlow.QR_ON_SCREEN,
                                 label=label)
        return self.create_payment(request).payment_id

    def get_payment(self, payment_id):
        payment = self.client.get_payment(payment_id)
        return PaymentSnapshot(
            payment_id=payment.reference,
            order_id=(payment.metadata or {}).get("orderId") or payment.reference,
            state=payment_state(payment),
            provider_status=provider_status(payment),
            amount=major_units(payment.amount),
            currency=payment.amount.currency.value,
            poll_delay_ms=self.poll_delay_ms,
            partial_capture_possible=True,
            captured_amount=major_units(payment.aggregate.captured_amount),
            refunded_amount=major_units(payment.aggregate.refunded_amount),
            capture_guaranteed_until=payment.capture_guaranteed_until,
        )

    def active_payments(self, pos_id):
        return []  # no PoS lock and no query by till (API.md 13.3)

    def find_payment(self, order_id, reference=None):
        """The payment of this attempt, whatever its state: the reference names exactly one attempt."""
        try:
            return self.get_payment(checked_reference(reference or order_id))
        except MobilePayApiError as error:
            if isinstance(error, MobilePayNotFound) or error.code == REFERENCE_NOT_FOUND:
                return None
            raise

    def capture_payment(self, payment_id, amount, idempotency_key=None, currency=None, attempt=0):
        """Capture ``amount``; returns the captured total of the payment as Vipps MobilePay answers it."""
        # The currency is the sales unit's (API.md 6.1); read it back only when the caller does not say.
        currency = currency or self.client.get_payment(payment_id).amount.currency.value
        value = minor_units(amount, currency)
        key = idempotency_key or derived_key(payment_id, "capture", value["value"], *attempt_parts(attempt))
        answer = self.client.capture(payment_id, value, key)
        return major_units(answer.aggregate.captured_amount)

    def cancel_payment(self, payment_id, idempotency_key=None, attempt=0):
        """Release everything not captured (before approval: the payment ends TERMINATED). Returns the
        payment's state as the answer shows it: a payment the customer rejected (or that expired) before
        the cancel arrived stays what it was."""
        answer = self.client.cancel(payment_id, idempotency_key or derived_key(payment_id, "cancel",
                                                                              *attempt_parts(attempt)))
        return state_after_cancel(answer)

    def cancel_unless_approved(self, payment_id, idempotency_key=None, attempt=0):
        """Cancel only if the customer has not approved yet (``cancelTransactionOnly``, API.md 7.5).

        Returns False when the customer approved first: the reservation is kept for the caller to
        capture or release."""
        key = idempotency_key or derived_key(payment_id, "cancel-unapproved", *attempt_parts(attempt))
        try:
            self.client.cancel(payment_id, key, transaction_only=True)
        except MobilePayApiError as error:
            if error.code == ALREADY_AUTHORIZED:
                return False
            raise
        return True

    # ------------------------------------------------------------------ refunds

    def start_refund(self, *, payment_id, refund_order_id, amount, currency, idempotency_key):
        self.client.refund(payment_id, minor_units(amount, currency), idempotency_key)
        return idempotency_key

    def _refund_events(self, payment_id, idempotency_key):
        events = self.client.get_events(payment_id)
        return [e for e in events if e.name is EventName.REFUNDED and e.idempotency_key == idempotency_key]

    def get_refund(self, refund_id, payment_id=None):
        if not payment_id:
            raise MobilePayValidationError("An ePayment refund is read through its payment: give payment_id.")
        found = self._refund_events(payment_id, refund_id)
        return self._refund_snapshot(refund_id, payment_id, found)

    def _refund_snapshot(self, refund_id, payment_id, events):
        done = [e for e in events if e.success]
        if done:
            event, state = done[-1], RefundState.CAPTURED
        elif events:
            event, state = events[-1], RefundState.CANCELLED_BY_PROVIDER
        else:
            # Not in the event log yet: not final, so the caller looks again.
            return RefundSnapshot(refund_id=refund_id, payment_id=payment_id, state=RefundState.PENDING,
                                  provider_status="NOT_LOGGED_YET", amount=Decimal(0), currency="",
                                  poll_delay_ms=self.poll_delay_ms)
        return RefundSnapshot(refund_id=refund_id, payment_id=payment_id, state=state,
                              provider_status=REFUNDED if event.success else REFUND_FAILED,
                              amount=major_units(event.amount), currency=event.amount.currency.value,
                              poll_delay_ms=self.poll_delay_ms)

    def find_refund(self, payment_id, refund_order_id, idempotency_key=None):
        """Refunds are told apart by their idempotency key (API.md 7.6); without one nothing can be found."""
        if not idempotency_key:
            return None
        found = self._refund_events(payment_id, idempotency_key)
        return self._refund_snapshot(idempotency_key, payment_id, found) if found else None

    def capture_refund(self, refund_id):
        return None  # paid out when it was made (refunds_are_final)

    def cancel_refund(self, refund_id):
        raise MobilePayValidationError("An ePayment refund is final when it is made; it cannot be cancelled.")


def make_provider(environment, *, client_id, client_secret, subscription_key, msn, base_url=None,
                  system_name=None, system_version=None, plugin_name=None, plugin_version=None, session=None,
                  poll_delay_ms=DEFAULT_POLL_DELAY_MS, timeout=None):
    """The ePayment provider for ``production``, ``test`` or ``emulator`` (with ``base_url``)."""
    values = {
        "hosts": by_name(environment, base_url),
        "client_id": client_id,
        "client_secret": client_secret,
        "subscription_key": subscription_key,
        "msn": msn,
    }
    for name, value in (("system_name", system_name), ("system_version", system_version),
                        ("plugin_name", plugin_name), ("plugin_version", plugin_version), ("timeout", timeout)):
        if value:
            values[name] = value
    return EPaymentProvider(EPaymentConfig(**values), session=session, poll_delay_ms=poll_delay_ms)
