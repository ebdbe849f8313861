"""JSON bodies of the polled resources, shaped exactly as pos.yaml describes them."""

from datetime import timedelta

from ..schemas import ACTIVE_PAYMENT_STATUSES, PaymentStatus
from .clock import dotnet_timestamp


def _amount(value):
    return None if value is None else float(value)


def _looked_up(state, since, now):
    """Loyalty and receipt data are "not looked up yet" (null) for loyalty_lookup_delay_s after a check-in."""
    return since is None or now >= since + timedelta(seconds=state.settings.loyalty_lookup_delay_s)


def payment_expires_at(state, payment):
    """[Unconfirmed] when the current stage ends: the reservation for Reserved, the inactivity
    timeout for active states; None (property left out) for final states."""
    s = state.settings
    if payment.status == PaymentStatus.RESERVED:
        return payment.reserved_at + timedelta(seconds=s.reservation_lifetime_s)
    if payment.status in ACTIVE_PAYMENT_STATUSES and s.inactivity_timeout_s is not None:
        return payment.changed_at + timedelta(seconds=s.inactivity_timeout_s)
    return None


def payment_json(state, payment, now):
    """[Unconfirmed] properties without a value are left out rather than sent as null: the spec's
    prose speaks of "missing" properties, and its nullable enums and nullable ``allOf`` would not
    validate a null under OpenAPI 3.0 anyway."""
    user = payment.user
    looked_up = _looked_up(state, payment.user_checked_in_at, now)
    body = {
        "paymentId": payment.payment_id,
        "posId": payment.pos_id,
        "orderId": payment.order_id,
        "amount": _amount(payment.amount),
        "currencyCode": payment.currency_code,
        "restrictions": payment.restrictions,
        "merchantPaymentLabel": payment.merchant_payment_label,
        "plannedCaptureDelay": payment.planned_capture_delay,
        "status": payment.status.value,
        "customerToken": user.customer_token if user else None,
        "customerReceiptToken": user.customer_receipt_token if user and looked_up else None,
        "loyaltyIds": list(user.loyalty_ids) if user and looked_up else None,
        "pollDelayInMs": state.settings.payment_poll_delay_ms,
    }
    expires = payment_expires_at(state, payment)
    if expires is not None:
        body["paymentExpiresAt"] = dotnet_timestamp(expires)
    if payment.status == PaymentStatus.RESERVED:
        body["partialCapturePossible"] = payment.partial_capture_possible
    return {key: value for key, value in body.items() if value is not None}


def refund_json(state, refund):
    return {
        "refundId": refund.refund_id,
        "paymentId": refund.payment_id,
        "refundOrderId": refund.refund_order_id,
        "amount": float(refund.amount),
        "currencyCode": refund.currency_code,
        "status": refund.status.value,
        "pollDelayInMs": state.settings.refund_poll_delay_ms,
    }


def checked_in_user(state, pos):
    """The user at the PoS: the pending check-in, else the user the active payment is paired with or
    issued to. Returns (user, checked_in_at) or (None, None)."""
    if pos.checkin is not None:
        return pos.checkin.user, pos.checkin.checked_in_at
    active = state.active_payment(pos)
    if active is not None and active.user is not None:
        return active.user, active.user_checked_in_at
    return None, None


def checkin_json(state, pos, now):
    user, since = checked_in_user(state, pos)
    delay = state.settings.checkin_poll_delay_ms
    if user is None:
        # [Unconfirmed] nobody checked in: the optional properties are left out.
        return {"isUserCheckedIn": False, "pollDelayInMs": delay}
    looked_up = _looked_up(state, since, now)
    return {
        "isUserCheckedIn": True,
        "loyaltyIds": list(user.loyalty_ids) if looked_up else None,
        "customerToken": user.customer_token,
        "customerReceiptToken": user.customer_receipt_token if looked_up else None,
        "pollDelayInMs": delay,
    }
