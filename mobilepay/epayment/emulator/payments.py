"""The payment life cycle (API.md 7 and 8): create, approve, reject, expire, capture, cancel, refund.

Every function runs under the state lock (inside ``state.transaction()``). Each change is an
event in the payment's log (API.md 7.3) and a webhook to the registrations subscribed to it
(API.md 10.6). States: CREATED, then exactly one final state AUTHORIZED, ABORTED, EXPIRED or
TERMINATED; after AUTHORIZED only ``aggregate`` changes (API.md 8.1, 8.3).
"""

import random
import secrets
import uuid
from datetime import timedelta

from . import special_amounts, webhooks
from .clock import timestamp3
from .customers import Customer
from .problems import ControlError, coded
from .records import Event, Payment, amount_json
from .validation import receipt_total


class Refusal(Exception):
    """The customer's app cannot do this (a test control or force approve is refused)."""


class PaymentFailed(Refusal):
    """The approval of a special test amount failed (special_amounts.py): ``reason`` names why."""

    def __init__(self, payment, reason):
        self.reason = reason
        super().__init__(f"payment {payment.reference} was not authorized: {reason}")


def _event_psp_reference():
    """Later events carry numeric ids in the API.md 7.3 example (``1304787731``); CREATED a UUID."""
    return str(random.SystemRandom().randint(10**9, 10**10 - 1))


def record_event(state, payment, name, amount, at, idempotency_key=None, psp_reference=None) -> Event:
    event = Event(name=name, amount=int(amount), timestamp=at, psp_reference=psp_reference or _event_psp_reference(),
                  idempotency_key=idempotency_key)
    payment.events.append(event)
    webhooks.publish_payment_event(state, payment, event)
    return event


# ---------------------------------------------------------------------------------------------- create


def resolve_customer(state, unit, variant, value, now):
    """(customer, merchantQrId or None) for a ``customer`` of a create or force approve request.

    Unknown phone number: 7010 (API.md 6.3, the customer is not told the number is wrong); unknown
    personal QR: 4060; a customerToken that is unknown, older than 15 minutes or of another MSN: 4050
    (API.md 11.3, 11.5)."""
    if variant == "phoneNumber":
        customer = state.customers.get(value)
        if customer is None:
            raise coded("7010", "No customer can be found for this phone number, or the customer cannot pay")
        return customer, None
    if variant == "personalQr":
        customer = state.customer_by_personal_qr(value)
        if customer is None:
            raise coded("4060", "The personal QR code is not valid: scan the customer's code again")
        return customer, None
    checkin = state.checkins.get(value)
    if checkin is None or checkin.msn != unit.msn or checkin.expires_at <= now:
        raise coded("4050", "The customerToken is unknown or expired (valid 15 minutes): ask the customer to scan "
                            "the QR code again")
    return state.customers[checkin.customer], checkin.merchant_qr_id


def create(state, unit, req, idempotency_key, now, base_url) -> Payment:
    """A new CREATED payment, or an ApiError (API.md 7.1, 6)."""
    if req.currency != unit.currency:
        raise coded("5040", f"The sales unit {unit.msn} takes {unit.currency}, not {req.currency}")
    minimum = state.settings.minimum_amounts.get(req.currency, 1)
    if req.value < minimum:
        raise coded("6010", f"The smallest payment in {req.currency} is {minimum}")
    if req.user_flow == "PUSH_MESSAGE" and not unit.push_message_allowed:
        raise coded("5080", "PUSH_MESSAGE is not enabled for this sales unit: use the QR flow")
    if state.settings.receipt_sum_check and req.receipt is not None:
        if req.receipt["bottomLine"]["currency"] != req.currency or receipt_total(req.receipt) != req.value:
            raise coded("5070", "The receipt's order lines do not add up to the amount", status=400)
    if (unit.msn, req.reference) in state.payments:
        raise coded("4150", f"A payment with reference {req.reference} exists already: use a new reference")
    customer = merchant_qr_id = None
    if req.customer_variant is not None:
        customer, merchant_qr_id = resolve_customer(state, unit, req.customer_variant, req.customer_value, now)
        if req.minimum_user_age is not None and customer.age < req.minimum_user_age:
            raise coded("7010", "The customer cannot pay for this purchase (minimumUserAge)")
    token = secrets.token_urlsafe(24)
    expires_at = req.expires_at or now + timedelta(seconds=state.settings.payment_expiry_s)
    target_url = f"{base_url}/phone/pay/{token}"
    redirect_url = None
    if req.user_flow == "QR":
        # A link to the QR image of this one payment, or with TEXT/TARGETURL the URL the QR encodes:
        # the emulator's phone page for this payment (API.md 7.1, 7.1.1).
        redirect_url = target_url if req.qr_format == "TEXT/TARGETURL" else f"{base_url}/qr-image/v1?token={token}"
    elif req.user_flow in ("WEB_REDIRECT", "NATIVE_REDIRECT"):
        redirect_url = target_url  # the landing page
    payment = Payment(
        msn=unit.msn, reference=req.reference, psp_reference=str(uuid.uuid4()), amount=req.value,
        currency=req.currency, user_flow=req.user_flow, payment_method=req.payment_method, created_at=now,
        expires_at=expires_at, create_key=idempotency_key, token=token, qr_format=req.qr_format,
        qr_size=req.qr_size, customer=customer.phone_number if customer else None,
        customer_variant=req.customer_variant, merchant_qr_id=merchant_qr_id,
        customer_token=req.customer_value if req.customer_variant == "customerToken" else None,
        description=req.description,
        receipt=req.receipt, metadata=req.metadata, minimum_user_age=req.minimum_user_age,
        customer_interaction=req.customer_interaction, profile_scope=req.profile_scope, return_url=req.return_url,
        redirect_url=redirect_url, target_url=target_url,
    )
    state.payments[(unit.msn, req.reference)] = payment
    state.payment_tokens[token] = (unit.msn, req.reference)
    record_event(state, payment, "CREATED", payment.amount, now, idempotency_key, psp_reference=payment.psp_reference)
    return payment


# ---------------------------------------------------------------------------------------------- the customer


def default_customer(state):
    return next(c for c in state.customers.values() if c.age >= 18)


def approve(state, payment, phone_number, now):
    """The customer approves in the app: CREATED -> AUTHORIZED, the whole amount reserved (API.md 8.3).

    A payment pushed to a customer can only be approved by that customer; a QR payment by anyone
    (``phone_number`` or the first adult demo customer). ``minimumUserAge`` is checked here for QR
    payments, whose customer was not known at create. Raises Refusal.

    Special test amounts (setting ``special_amounts``, special_amounts.py): a failing one raises
    PaymentFailed and changes nothing; 201 takes the approval but leaves the payment CREATED, its result
    unknown for an hour (``unknown_result_until``), then ABORTED by ``expire_due``."""
    if payment.state != "CREATED":
        raise Refusal(f"payment {payment.reference} is {payment.state}: only a CREATED payment can be approved")
    _refuse_if_unknown_result(payment)
    if phone_number and payment.customer and phone_number != payment.customer:
        raise Refusal(f"payment {payment.reference} was sent to {payment.customer}, not {phone_number}")
    number = phone_number or payment.customer
    customer = state.customers.get(number) if number else default_customer(state)
    if customer is None:
        raise Refusal(f"no customer with phone number {number}")
    if payment.minimum_user_age is not None and customer.age < payment.minimum_user_age:
        raise Refusal(f"{customer.name} is {customer.age}: this payment needs a customer of at least "
                      f"{payment.minimum_user_age}")
    reason = special_amounts.approval_failure(state.settings, payment.amount)
    if reason is not None:
        raise PaymentFailed(payment, reason)
    payment.customer = customer.phone_number
    payment.unknown_result_until = special_amounts.unknown_result_until(state.settings, payment.amount, now)
    if payment.unknown_result_until is not None:
        payment.processing = False
        return payment
    payment.state = "AUTHORIZED"
    payment.processing = False
    payment.authorized = payment.amount
    payment.authorized_at = now
    days = state.settings.capture_guarantee_days.get(payment.currency, 14)
    payment.capture_guaranteed_until = now + timedelta(days=days)
    # AUTHORIZED carries the create's idempotency key, as in the API.md 10.6 example.
    record_event(state, payment, "AUTHORIZED", payment.amount, now, payment.create_key)
    return payment


def _refuse_if_unknown_result(payment):
    if payment.unknown_result_until is not None and payment.state == "CREATED":
        raise Refusal(f"payment {payment.reference} was approved already: its result is unknown for an hour "
                      f"(test amount {payment.amount})")


def reject(state, payment, now):
    """The customer cancels in the app: CREATED -> ABORTED (not once approved with the test amount 201)."""
    _refuse_if_unknown_result(payment)
    return _end_created(state, payment, "ABORTED", "can be rejected", now)


def expire(state, payment, at):
    """CREATED -> EXPIRED (API.md 8.4); ``at`` is when it fell due."""
    return _end_created(state, payment, "EXPIRED", "can expire", at)


def _end_created(state, payment, final_state, what_it_can, at):
    """A CREATED payment ends unapproved in ``final_state`` (its event of the whole amount); else Refusal."""
    if payment.state != "CREATED":
        raise Refusal(f"payment {payment.reference} is {payment.state}: only a CREATED payment {what_it_can}")
    payment.state = final_state
    payment.processing = False
    record_event(state, payment, final_state, payment.amount, at)
    return payment


def expire_due(state, now):
    """What fell due, in time order: CREATED payments expire; those approved with the test amount 201 do not,
    they end ABORTED when their hour is over (special_amounts.py)."""
    due = []
    for payment in state.payments.values():
        if payment.state != "CREATED":
            continue
        if payment.unknown_result_until is not None:
            if payment.unknown_result_until <= now:
                due.append((payment.unknown_result_until, "ABORTED", payment))
        elif payment.expires_at <= now:
            due.append((payment.expires_at, "EXPIRED", payment))
    for at, final_state, payment in sorted(due, key=lambda item: item[0]):
        _end_created(state, payment, final_state, "can end", at)


def control(action, state, payment, *args):
    """Run a customer action for a test control: a Refusal becomes a ControlError."""
    try:
        return action(state, payment, *args)
    except Refusal as refusal:
        raise ControlError(str(refusal)) from None


# ---------------------------------------------------------------------------------------------- the merchant


def capture(state, unit, payment, value, currency, idempotency_key, now) -> Event:
    """Capture part or all of what is reserved, repeatedly (API.md 7.4)."""
    if currency != payment.currency:
        raise coded("5040", f"The payment is in {payment.currency}, not {currency}")
    if payment.state != "AUTHORIZED":
        raise coded("6080", f"The payment is {payment.state}: it can be captured once the customer has approved it")
    if payment.capture_guaranteed_until is not None and now > payment.capture_guaranteed_until:
        raise coded("6100", "The capture period of this payment has expired")
    if value > payment.uncaptured:
        raise coded("6090", f"Only {payment.uncaptured} of the payment can still be captured, not {value}")
    if not unit.partial_capture_allowed and (payment.captured or value != payment.authorized):
        raise coded("6140", "This payment must be captured in full in one capture")
    payment.captured += value
    return record_event(state, payment, "CAPTURED", value, now, idempotency_key)


def cancel(state, payment, transaction_only, idempotency_key, now):
    """The API.md 7.5 table. Before authorization: TERMINATED, cancelledAmount = amount. After it: the
    uncaptured rest is released (CANCELLED event, which carries no idempotencyKey, API.md 5, 10.6) and the
    state stays AUTHORIZED; 6040 after a full capture; 6060 with cancelTransactionOnly; 6250 while the
    customer is approving. [Unconfirmed] a payment that is ABORTED, EXPIRED or TERMINATED already, or
    has nothing left to release, answers 200 unchanged. Returns the event, or None."""
    if payment.processing:
        raise coded("6250", "The customer is approving the payment right now: try again shortly")
    if payment.state == "CREATED":
        payment.state = "TERMINATED"
        payment.cancelled = payment.amount
        # [Unconfirmed] (API.md 15, point 9): only TERMINATED is logged, no CANCELLED besides it.
        return record_event(state, payment, "TERMINATED", payment.amount, now, idempotency_key)
    if payment.state != "AUTHORIZED":
        return None
    if transaction_only:
        raise coded("6060", "The payment is already authorized and cancelTransactionOnly is set: the reservation is "
                            "kept")
    if payment.captured >= payment.authorized:
        raise coded("6040", "The payment is captured in full: refund it instead")
    rest = payment.uncaptured
    if rest <= 0:
        return None
    payment.cancelled += rest
    return record_event(state, payment, "CANCELLED", rest, now, None)


def refund(state, payment, value, currency, idempotency_key, now) -> Event:
    """One synchronous refund of captured money, partial and repeated (API.md 7.6); the test amounts 123 and
    124 are refused (special_amounts.py)."""
    if currency != payment.currency:
        raise coded("5040", f"The payment is in {payment.currency}, not {currency}")
    refundable = payment.captured - payment.refunded
    if value > refundable:
        raise coded("6150", f"Only {refundable} of the payment can be refunded, not {value}")
    if payment.authorized_at is not None and now > payment.authorized_at + timedelta(
            days=state.settings.refund_window_days):
        raise coded("6220", "The refund period (365 days after the reservation) has expired")
    refused = special_amounts.refund_error(state.settings, value)
    if refused is not None:
        raise refused
    payment.refunded += value
    return record_event(state, payment, "REFUNDED", value, now, idempotency_key)


# ---------------------------------------------------------------------------------------------- answers


def payment_json(payment):
    """``GetPaymentResponse`` (API.md 7.2), with ``captureGuaranteedUntil`` once authorized (API.md 0)."""
    body = {
        "aggregate": payment.aggregate_json(),
        "amount": amount_json(payment.amount, payment.currency),
        "state": payment.state,
        "paymentMethod": {"type": payment.payment_method},
        "profile": {},
        "pspReference": payment.psp_reference,
        "reference": payment.reference,
    }
    if payment.profile_scope and payment.state == "AUTHORIZED" and payment.customer:
        body["profile"] = {"sub": Customer(payment.customer, "", 0).sub}
    if payment.redirect_url:
        body["redirectUrl"] = payment.redirect_url
    if payment.metadata is not None:
        body["metadata"] = payment.metadata
    if payment.capture_guaranteed_until is not None:
        body["captureGuaranteedUntil"] = timestamp3(payment.capture_guaranteed_until)
    return body


def modification_json(state, payment, event):
    """``ModificationResponse`` (API.md 7.4): amount, state, aggregate, pspReference, reference."""
    own = state.settings.modification_psp_reference == "event" and event is not None
    return {"amount": amount_json(payment.amount, payment.currency), "state": payment.state,
            "aggregate": payment.aggregate_json(),
            "pspReference": event.psp_reference if own else payment.psp_reference, "reference": payment.reference}


def events_json(payment):
    return [e.to_json(payment.reference, payment.currency) for e in payment.events]
