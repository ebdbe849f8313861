"""Refunds: create, capture, cancel, query (API.md sections 8.4, 10.3, 11.7)."""

from datetime import timedelta
from decimal import Decimal

from ... import formats
from ..schemas import PaymentStatus, RefundStatus
from .api_errors import ApiError, ControlError
from .records import Refund
from .transitions import TransitionNotAllowed, move_refund

# [Unconfirmed] refunds that count against the captured amount (and the store balance): all but cancelled ones.
_COUNTED = {RefundStatus.INITIATED, RefundStatus.RESERVED, RefundStatus.CAPTURED, RefundStatus.EXPIRED_AND_CAPTURED}


def refunded_total(state, payment_id) -> Decimal:
    return sum(
        (r.amount for r in state.refunds.values() if r.payment_id == payment_id and r.status in _COUNTED),
        Decimal("0"),
    )


def create(state, ctx, request, now) -> str:
    payment = state.payments.get(request.payment_id)
    if payment is None:
        raise ApiError("1001")
    # The operation lists 1401 only: used for another integrator's and another merchant's payment.
    if payment.client_id != ctx.client_id or payment.merchant_vat != ctx.merchant_vat:
        raise ApiError("1401")
    if payment.status != PaymentStatus.CAPTURED:
        raise ApiError("1354")
    if request.currency_code.value != payment.currency_code:
        raise ApiError("1365")
    if now > payment.captured_at + timedelta(seconds=state.settings.refund_window_s):
        raise ApiError("1366")
    if refunded_total(state, payment.payment_id) + request.amount > payment.captured_amount:
        raise ApiError("1367")
    pos = state.points_of_sale[payment.pos_id]
    store = state.stores[pos.store_id]
    if store.balance is not None:
        if request.amount > store.balance:
            raise ApiError("1368")
        store.balance -= request.amount
    delay = state.settings.refund_reservation_delay_s
    refund = Refund(
        refund_id=formats.new_guid(), payment_id=payment.payment_id, client_id=ctx.client_id,
        merchant_vat=ctx.merchant_vat, store_id=store.store_id, refund_order_id=request.refund_order_id,
        amount=request.amount, currency_code=request.currency_code.value, status=RefundStatus.INITIATED,
        created_at=now, changed_at=now,
        reserve_at=None if delay is None else now + timedelta(seconds=delay),
    )
    move_refund(refund, "R1", now)
    state.refunds[refund.refund_id] = refund
    return refund.refund_id


def _give_back_balance(state, refund):
    store = state.stores.get(refund.store_id)
    if store is not None and store.balance is not None:
        store.balance += refund.amount


def find_refund_ids(state, ctx, payment_id) -> list:
    """[Unconfirmed] no paymentId: 1110."""
    if payment_id is None:
        raise ApiError("1110")
    try:
        payment_id = formats.check_guid(payment_id)
    except ValueError:
        raise ApiError("1099", message="paymentId must be a GUID") from None
    return [
        r.refund_id for r in state.refunds.values()
        if r.payment_id == payment_id and r.client_id == ctx.client_id and r.merchant_vat == ctx.merchant_vat
    ]


def capture(state, ctx, refund_id, now):
    refund = state.own_refund(ctx, refund_id, not_found_code="1004")
    if refund.status == RefundStatus.CAPTURED:
        return  # [Unconfirmed] a repeated capture is fine
    if refund.status != RefundStatus.RESERVED:
        raise ApiError("1351")
    move_refund(refund, "R5", now)


def cancel(state, ctx, refund_id, now):
    refund = state.own_refund(ctx, refund_id)
    if refund.status == RefundStatus.CANCELLED_BY_CLIENT:
        return  # [Unconfirmed] a repeated cancel is fine
    try:
        move_refund(refund, "R4", now)
    except TransitionNotAllowed:
        raise ApiError("1352") from None
    _give_back_balance(state, refund)


# ---------------------------------------------------------------------- MobilePay-side test controls


def cancel_by_mobilepay(state, refund_id, now):
    refund = state.refund(refund_id)
    try:
        move_refund(refund, "R3", now, "MobilePay could not carry out the refund (test control)")
    except TransitionNotAllowed:
        raise ControlError(f"refund {refund_id} is {refund.status.value}, not Initiated") from None
    _give_back_balance(state, refund)


def reserve_now(state, refund_id, now):
    """R2 at once (for refunds created while refund_reservation_delay_s is None)."""
    refund = state.refund(refund_id)
    try:
        move_refund(refund, "R2", now, "reserved (test control)")
    except TransitionNotAllowed:
        raise ControlError(f"refund {refund_id} is {refund.status.value}, not Initiated") from None
    refund.reserved_at = now
