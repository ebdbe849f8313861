"""Payments: initiate, prepare, ready, capture, cancel, query (API.md sections 8.3, 10, 11)."""

from ... import formats
from ..schemas import PaymentStatus
from .api_errors import ApiError, ControlError
from .records import Payment
from .transitions import TransitionNotAllowed, move_payment


def _restrictions(request):
    if request.restrictions is None:
        return None
    return request.restrictions.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _pos_for_new_payment(state, ctx, pos_id):
    pos = state.points_of_sale.get(pos_id)
    if pos is None or pos.deleted:
        raise ApiError("1000")
    # The operation lists 1400 only: used for another integrator's and another merchant's PoS.
    if pos.client_id != ctx.client_id or pos.merchant_vat != ctx.merchant_vat:
        raise ApiError("1400")
    store = state.stores.get(pos.store_id)
    if store is None or not store.activated:
        raise ApiError("1204")
    if state.active_payment(pos) is not None:
        raise ApiError("1301")
    return pos


def _new_payment(state, ctx, pos, order_id, now):
    payment = Payment(
        payment_id=formats.new_guid(), pos_id=pos.pos_id, client_id=ctx.client_id,
        merchant_vat=ctx.merchant_vat, order_id=order_id, status=PaymentStatus.INITIATED,
        created_at=now, changed_at=now,
    )
    state.payments[payment.payment_id] = payment
    return payment


def _take_checkin(pos, payment):
    """Pair the pending check-in with the payment; the check-in is consumed."""
    checkin = pos.checkin
    pos.checkin = None
    payment.user = checkin.user
    payment.user_checked_in_at = checkin.checked_in_at


def initiate(state, ctx, request, now) -> str:
    pos = _pos_for_new_payment(state, ctx, request.pos_id)
    payment = _new_payment(state, ctx, pos, request.order_id, now)
    payment.amount = request.amount
    payment.currency_code = request.currency_code.value
    payment.planned_capture_delay = request.planned_capture_delay.value
    payment.merchant_payment_label = request.merchant_payment_label
    payment.restrictions = _restrictions(request)
    if pos.checkin is not None:
        _take_checkin(pos, payment)
        move_payment(payment, "P2", now, "a user was checked in")
    else:
        move_payment(payment, "P1", now)
    return payment.payment_id


def prepare(state, ctx, request, now) -> str:
    pos = _pos_for_new_payment(state, ctx, request.pos_id)
    payment = _new_payment(state, ctx, pos, request.order_id, now)
    move_payment(payment, "P4", now)
    if pos.checkin is not None:
        # [Unconfirmed] prepare while a user is checked in pairs at once (mirrors P2).
        _take_checkin(pos, payment)
        move_payment(payment, "P5", now, "a user was checked in")
    return payment.payment_id


def ready(state, ctx, payment_id, request, now):
    payment = state.own_payment(ctx, payment_id, other_merchant_code="1406")
    if payment.status == PaymentStatus.PREPARED:
        rule = "P6"
    elif payment.status == PaymentStatus.PAIRED:
        rule = "P7"
    else:
        raise ApiError("1303")
    payment.amount = request.amount
    payment.currency_code = request.currency_code.value
    payment.planned_capture_delay = request.planned_capture_delay.value
    payment.merchant_payment_label = request.merchant_payment_label
    payment.restrictions = _restrictions(request)
    move_payment(payment, rule, now)


def capture(state, ctx, payment_id, request, now):
    payment = state.own_payment(ctx, payment_id, other_merchant_code="1407")
    amount = request.amount
    if payment.status == PaymentStatus.CAPTURED:
        if amount == payment.captured_amount:
            return  # a repeated capture with the same amount is fine
        raise ApiError("1307")
    if payment.status != PaymentStatus.RESERVED:
        raise ApiError("1304")
    if amount > payment.amount:
        raise ApiError("1305")
    if amount < payment.amount and not payment.partial_capture_possible:
        raise ApiError("1308")
    payment.captured_amount = amount
    payment.captured_at = now
    move_payment(payment, "P9", now, "partial capture" if amount < payment.amount else "")


def cancel(state, ctx, payment_id, now):
    payment = state.own_payment(ctx, payment_id, other_merchant_code="1408")
    if payment.status == PaymentStatus.CANCELLED_BY_CLIENT:
        return  # [Unconfirmed] a repeated cancel is fine
    try:
        move_payment(payment, "P11", now)
    except TransitionNotAllowed:
        raise ApiError("1300") from None


def find_payment_ids(state, ctx, pos_id, order_id, payment_state) -> list:
    """Without state: payments still active or Reserved; state=Captured: captured ones.

    [Unconfirmed] neither posId nor orderId: 1109. When several payments share an orderId the
    lookup follows the most recent one [Docs: "the mapping is overwritten"]."""
    if payment_state is not None and payment_state != "Captured":
        raise ApiError("1099", message="state must be Captured")
    if pos_id is None and order_id is None:
        raise ApiError("1109")
    if pos_id is not None:
        try:
            pos_id = formats.check_guid(pos_id)
        except ValueError:
            raise ApiError("1099", message="posId must be a GUID") from None
    candidates = [
        p for p in state.payments.values() if p.client_id == ctx.client_id and p.merchant_vat == ctx.merchant_vat
    ]
    if order_id is not None:
        latest = None
        for payment in candidates:
            if payment.order_id == order_id:
                latest = payment
        candidates = [latest] if latest is not None else []
    if pos_id is not None:
        candidates = [p for p in candidates if p.pos_id == pos_id]
    if payment_state == "Captured":
        wanted = {PaymentStatus.CAPTURED}
    else:
        wanted = {PaymentStatus.PREPARED, PaymentStatus.PAIRED, PaymentStatus.INITIATED,
                  PaymentStatus.ISSUED_TO_USER, PaymentStatus.RESERVED}
    return [p.payment_id for p in candidates if p.status in wanted]


# ---------------------------------------------------------------------- MobilePay-side test controls


def cancel_by_mobilepay(state, payment_id, now, reason="cancelled by MobilePay (test control)"):
    payment = state.payment(payment_id)
    try:
        move_payment(payment, "P13", now, reason)
    except TransitionNotAllowed:
        raise ControlError(f"payment {payment_id} is {payment.status.value}; MobilePay can only cancel "
                           "Prepared, Paired, Initiated or IssuedToUser payments") from None


def expire_reservation(state, payment_id, now):
    payment = state.payment(payment_id)
    try:
        move_payment(payment, "P10", now, "reservation expired (test control)")
    except TransitionNotAllowed:
        raise ControlError(f"payment {payment_id} is {payment.status.value}, not Reserved") from None
