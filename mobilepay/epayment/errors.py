"""ePayment error codes (API.md 6.5) and how a Problem answer becomes a typed error.

The typed errors are the package's own (``mobilepay.errors``), so the Odoo layer treats
both backends alike: ``outcome_unknown`` still tells a lost (or busy) answer from a refusal.
"""

from ..errors import MobilePayBusy, Reason, api_error_class

# numeric code -> meaning. Branch on these (with the HTTP status), never on title/detail.
ERROR_CODES = {
    "3010": "Internal error (often a malformed request)",
    "4010": "Capture idempotency conflict: a retry must repeat the first body exactly",
    "4020": "The Idempotency-Key was already used for another operation",
    "4040": "Invalid amount: amounts are integers in minor units",
    "4050": "Invalid customer token: ask the customer to scan again",
    "4060": "Invalid personal QR: scan the customer's code again",
    "4070": "Invalid phone number",
    "4140": "A required parameter is missing",
    "4150": "The reference already exists, or a refund retry differs from the first",
    "5040": "The currency does not match the sales unit",
    "5060": "The merchant's bank account is not verified",
    "5070": "The payment cannot be created",
    "5080": "PUSH_MESSAGE is not allowed for this sales unit: use the QR flow or ask Vipps MobilePay",
    "5090": "Reference not found (or another sales unit's)",
    "6010": "The amount is too small",
    "6040": "A captured payment cannot be cancelled: refund it instead",
    "6060": "The payment is already authorized (cancelTransactionOnly)",
    "6080": "Cannot capture before the customer approved",
    "6090": "The capture amount is higher than what is reserved",
    "6100": "The capture period has expired",
    "6140": "This payment must be captured in full",
    "6150": "Not enough left to refund",
    "6160": "Another operation is in progress on the payment; try again shortly",
    "6220": "The refund period has expired",
    "6250": "The customer is approving right now; the payment cannot be cancelled yet",
    "6260": "The funds are unavailable; try the capture again later",
    "6280": "The capture failed; try again later",
    "7010": "The customer cannot pay (not found, not allowed, or under age)",
}

ALREADY_AUTHORIZED = "6060"
CAPTURED_CANNOT_CANCEL = "6040"
NOT_AUTHORIZED_YET = "6080"
REFERENCE_NOT_FOUND = "5090"
REFERENCE_EXISTS = "4150"
NOT_ENOUGH_REFUNDABLE = "6150"
REFUND_PERIOD_EXPIRED = "6220"
# The refusals the Odoo layer acts upon, in neutral words (set on the typed error as its ``reason``).
REASONS = {
    NOT_ENOUGH_REFUNDABLE: Reason.REFUND_TOO_HIGH,
    REFUND_PERIOD_EXPIRED: Reason.REFUND_TOO_OLD,
}
# Refusals that mean "not now" rather than "never" (API.md 6.5): repeat with the same key.
TRY_AGAIN_LATER = frozenset({"6160", "6250", "6260", "6280"})
TRY_AGAIN_STATUSES = frozenset({423, 429})


class EPaymentBusy(MobilePayBusy):
    """HTTP 423/429, or a code that means "try again shortly": nothing was done by this answer.

    423/429 are answered before the request is processed (a gateway or lock), so the same key
    may be sent again. A Problem with a "try again" code (6160/6250/6260/6280) is an answer of
    the API, which keeps it for its key (API.md 5): only a new key gets another answer."""

    @property
    def key_is_spent(self):
        """Whether MobilePay keeps this refusal for the request's key (a later attempt needs a new key)."""
        return self.status not in TRY_AGAIN_STATUSES


def error_for(status, problem, method, path, retry_after=None):
    """The typed error for an error answer with its parsed ``Problem`` (or None)."""
    code = problem.code if problem is not None else None
    extra = {}
    if status in TRY_AGAIN_STATUSES or code in TRY_AGAIN_LATER:
        cls = EPaymentBusy
        extra["retry_after"] = retry_after
    else:
        cls = api_error_class(status)
    message = None
    if problem is not None:
        message = ERROR_CODES.get(code or "") or problem.title or problem.detail
        fields = problem.fields()
        if fields:
            message = f"{message or 'invalid request'} ({', '.join(fields)})"
    return cls(
        status,
        code=code,
        message=message or ERROR_CODES.get(code or ""),
        correlation_id=problem.trace_id if problem is not None else None,
        method=method,
        path=path,
        reason=REASONS.get(code or ""),
        **extra,
    )
