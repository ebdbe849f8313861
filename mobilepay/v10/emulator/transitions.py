"""The payment and refund state machines of API.md section 10, transition by transition.

Every state change goes through ``move_payment`` / ``move_refund`` with the
rule number of the table, which refuses a change the table does not allow and
records it in the resource's history (shown by GET /emulator/state).
"""

from ..schemas import PaymentStatus as P
from ..schemas import RefundStatus as R
from .records import Transition

_ACTIVE = {P.PREPARED, P.PAIRED, P.INITIATED, P.ISSUED_TO_USER}

# rule -> (allowed source states, target state). None as a source means "created".
PAYMENT_TRANSITIONS = {
    "P1": ({None}, P.INITIATED),  # POST /payments, nobody checked in
    "P2": ({None}, P.ISSUED_TO_USER),  # POST /payments while a user is checked in
    "P3": ({P.INITIATED}, P.ISSUED_TO_USER),  # customer checks in
    "P4": ({None}, P.PREPARED),  # POST /payments/prepare
    "P5": ({P.PREPARED}, P.PAIRED),  # customer checks in
    "P6": ({P.PREPARED}, P.INITIATED),  # ready before anyone paired
    "P7": ({P.PAIRED}, P.ISSUED_TO_USER),  # ready
    "P8": ({P.ISSUED_TO_USER}, P.RESERVED),  # customer accepts, amount reserved
    "P9": ({P.RESERVED}, P.CAPTURED),  # capture
    "P10": ({P.RESERVED}, P.EXPIRED_AND_CANCELLED),  # reservation lifetime passed
    "P11": (_ACTIVE | {P.RESERVED}, P.CANCELLED_BY_CLIENT),  # cancel
    "P12": ({P.PAIRED, P.ISSUED_TO_USER}, P.CANCELLED_BY_USER),  # customer declines
    # inactivity timeout or reservation failure; Paired included [Unconfirmed]
    "P13": (_ACTIVE, P.CANCELLED_BY_MOBILEPAY),
}

REFUND_TRANSITIONS = {
    "R1": ({None}, R.INITIATED),  # POST /refunds
    "R2": ({R.INITIATED}, R.RESERVED),  # MobilePay reserves the refund
    "R3": ({R.INITIATED}, R.CANCELLED_BY_MOBILEPAY),  # MobilePay cannot carry it out
    "R4": ({R.INITIATED, R.RESERVED}, R.CANCELLED_BY_CLIENT),  # cancel
    "R5": ({R.RESERVED}, R.CAPTURED),  # capture
    "R6": ({R.RESERVED}, R.EXPIRED_AND_CAPTURED),  # 24 h auto-capture
}


class TransitionNotAllowed(Exception):
    pass


def _move(resource, table, rule, at, reason):
    sources, target = table[rule]
    current = getattr(resource, "status", None) if resource.history else None
    if current not in sources:
        raise TransitionNotAllowed(f"{rule} does not apply to a resource in state {current}")
    resource.history.append(Transition(at, current.value if current else None, target.value, rule, reason))
    resource.status = target
    resource.changed_at = at
    return target


def move_payment(payment, rule, at, reason=""):
    return _move(payment, PAYMENT_TRANSITIONS, rule, at, reason)


def move_refund(refund, rule, at, reason=""):
    return _move(refund, REFUND_TRANSITIONS, rule, at, reason)
