"""Neutral states of a MobilePay transaction as stored in Odoo.

The values are those of ``PaymentState`` and ``RefundState`` (mobilepay/provider.py),
plus three of our own:

* ``new``: the row exists and its idempotency key is stored; the create call is on its
  way (the worker making it holds the row's lock);
* ``unknown``: the create call was sent but its answer was lost (timeout, dropped
  connection, 5xx, an unreadable answer, a crash). MobilePay may have made the payment
  or refund, so the row still blocks its line and counts against what can be refunded,
  and the poller re-sends the call with the stored key until MobilePay answers;
* ``failed``: MobilePay refused the create call (a definite 4xx answer): no money
  moved; final.
"""

from ..mobilepay.provider import PaymentState, RefundState

NEW = "new"
UNKNOWN = "unknown"
FAILED = "failed"

STATE_SELECTION = [
    (NEW, "Starting"),
    (UNKNOWN, "Not answered yet"),
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
WAITING_FOR_CUSTOMER = PaymentState.WAITING_FOR_CUSTOMER.value
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
# Rows whose create call has no definite answer yet: the poller (re-)sends it.
UNSTARTED_STATES = frozenset({NEW, UNKNOWN})
# Refunds that count against what is left to refund on a payment (API.md 11.7).
REFUND_COUNTING_STATES = frozenset({NEW, UNKNOWN, PENDING, RESERVED, CAPTURED})

SUPPORTED_CURRENCIES = ("DKK", "EUR")  # PoS API v10
EPAYMENT_CURRENCIES = ("DKK", "EUR", "NOK")  # the sales unit's market decides which one (API.md 6.1)
