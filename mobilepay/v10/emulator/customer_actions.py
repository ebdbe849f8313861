"""What the customer's app does: check in, accept, decline (API.md sections 8.5, 9, 14).

Refusals raise SimulationError (HTTP 500 with a 2xxx code, see api_errors).
"""

from datetime import timedelta

from ..schemas import PaymentStatus
from .api_errors import SimulationError
from .customers import normalize_phone_number
from .records import CheckIn
from .transitions import move_payment


def _pos(state, beacon_id):
    pos = state.pos_by_beacon(beacon_id)
    if pos is None:
        raise SimulationError("2001")
    return pos


def _user(state, phone_number):
    user = state.test_users.get(normalize_phone_number(phone_number))
    if user is None:
        raise SimulationError("2002")
    return user


def checkin(state, beacon_id, phone_number, now):
    """The newest check-in wins. With an Initiated payment it is issued to the user (P3), with a
    Prepared one they pair (P5); either way the check-in is consumed. [Unconfirmed] a user checking in
    while the payment is Paired or IssuedToUser takes it over from the previous user. With no payment
    the check-in waits (checkin_ttl_s), unless the PoS requires a payment before check-in."""
    pos = _pos(state, beacon_id)
    user = _user(state, phone_number)
    payment = state.active_payment(pos)
    if payment is None:
        if pos.require_payment_before_checkin:
            raise SimulationError("2004")
        ttl = state.settings.checkin_ttl_s
        pos.checkin = CheckIn(user, now, None if ttl is None else now + timedelta(seconds=ttl))
    else:
        pos.checkin = None
        payment.user = user
        payment.user_checked_in_at = now
        if payment.status == PaymentStatus.INITIATED:
            move_payment(payment, "P3", now, f"{user.phone_number} checked in")
        elif payment.status == PaymentStatus.PREPARED:
            move_payment(payment, "P5", now, f"{user.phone_number} checked in")
        else:
            payment.changed_at = now  # a takeover counts as activity
    if pos.callback_alias and state.on_checkin is not None:
        state.on_checkin(pos, state.stores.get(pos.store_id))
    return pos


def accept_payment(state, beacon_id, phone_number, now):
    """IssuedToUser -> Reserved (P8). [Unconfirmed] a card type the payment's restrictions disallow is
    refused (2005) and the payment stays IssuedToUser; a test user marked reservation_fails gets
    CancelledByMobilePay (P13)."""
    pos = _pos(state, beacon_id)
    user = _user(state, phone_number)
    payment = state.active_payment(pos)
    if payment is None or payment.status != PaymentStatus.ISSUED_TO_USER:
        raise SimulationError("2003")
    if payment.user is not None and payment.user.phone_number != user.phone_number:
        raise SimulationError("2006")
    restrictions = payment.restrictions or {}
    if (user.card == "Debit" and restrictions.get("debitCardDisallowed")) or (
        user.card == "Credit" and restrictions.get("creditCardDisallowed")
    ):
        raise SimulationError("2005", f"{user.card} cards are not allowed for this payment")
    if user.reservation_fails:
        move_payment(payment, "P13", now, "reservation failed")
        return payment
    payment.reserved_at = now
    payment.partial_capture_possible = user.partial_capture
    move_payment(payment, "P8", now, f"accepted by {user.phone_number}")
    return payment


def cancel_payment_by_user(state, beacon_id, now):
    """Paired or IssuedToUser -> CancelledByUser (P12)."""
    pos = _pos(state, beacon_id)
    payment = state.active_payment(pos)
    if payment is None or payment.status not in (PaymentStatus.PAIRED, PaymentStatus.ISSUED_TO_USER):
        raise SimulationError("2003")
    move_payment(payment, "P12", now, "declined by the user")
    return payment
