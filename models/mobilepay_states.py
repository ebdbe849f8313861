"""Neutral states of a MobilePay transaction as stored in Odoo.

The values are those of ``PaymentState`` and ``RefundState`` (mobilepay/provider.py),
plus two of our own: ``new`` (the row exists and its idempotency key is stored, the
create call has not answered yet) and ``failed`` (the create call was refused or never
answered; final).
"""

from ..mobilepay.provider import PaymentState, RefundState

NEW = "new"
FAILED = "failed"

STATE_SELECTION = [
    (NEW, "Starting"),
    (PaymentState.WAITING_FOR_CUSTOMER.value, "Waiting for the customer"),
    (PaymentState.CHECKED_IN.value, "Customer checked in"),
    (PaymentState.WAITING_FOR_APPROVAL.value, "Waiting for approval"),
    (RefundState.PENDING.value, "Refund pending"),
    (PaymentState.RESERVED.value, "Reserved"),
    (PaymentState.CAPTURED.value, "Captured"),
    (PaymentState.CANCELLED_BY_CUSTOMER.value, "Cancelled by the customer"),
    (PaymentState.CANCELLED_BY_CASHIER.value, "Cancelled by the cashier"),
    (PaymentState.CANCELLED_BY_PROVIDER.value, "Cancelled by MobilePay"),
    (PaymentState.EXPIRED.value, "Expired"),
    (FAILED, "Failed"),
]

CAPTURED = PaymentState.CAPTURED.value
RESERVED = PaymentState.RESERVED.value
PENDING = RefundState.PENDING.value
CANCELLED_BY_CASHIER = PaymentState.CANCELLED_BY_CASHIER.value

FINAL_STATES = frozenset(
    {state.value for state in PaymentState if state.is_final}
    | {state.value for state in RefundState if state.is_final}
    | {FAILED}
)
# Final states in which no money moved: another attempt may follow for the same line.
UNPAID_FINAL_STATES = FINAL_STATES - {CAPTURED}
# Payment states that block a new payment on the PoS at MobilePay (API.md 11.1).
BLOCKING_PAYMENT_STATES = frozenset(
    {
        PaymentState.WAITING_FOR_CUSTOMER.value,
        PaymentState.CHECKED_IN.value,
        PaymentState.WAITING_FOR_APPROVAL.value,
    }
)
# States in which the cashier (or we) may still cancel.
CANCELLABLE_PAYMENT_STATES = BLOCKING_PAYMENT_STATES | {RESERVED}
CANCELLABLE_REFUND_STATES = frozenset({PENDING, RESERVED})
# Refunds that count against what is left to refund on a payment (API.md 11.7).
REFUND_COUNTING_STATES = frozenset({NEW, PENDING, RESERVED, CAPTURED})

SUPPORTED_CURRENCIES = ("DKK", "EUR")
