"""Typed errors of both APIs: what the Odoo layer and the tools branch on, whichever API answered.

Each API keeps its own error-code catalogue (``mobilepay.v10.errors``, ``mobilepay.epayment.errors``) and
turns an error answer into one of these types, with the neutral ``Reason`` of the refusals the Odoo layer
acts upon (its codes never leave the API's folder).
"""

from enum import Enum


class MobilePayError(Exception):
    """Base class of every error raised by this package."""


class Reason(Enum):
    """Why MobilePay refused a request, in neutral words: the refusals the Odoo layer acts upon.

    Each API maps its own error codes to these where it builds the typed error (``REASONS`` in its
    ``errors`` module); ``MobilePayApiError.reason`` is None for every other refusal."""

    POS_NOT_FOUND = "pos_not_found"  # the PoS is gone at MobilePay: register it again
    PAYMENT_ALREADY_ACTIVE = "payment_already_active"  # another payment blocks the PoS
    BEACON_IN_USE = "beacon_in_use"  # another PoS has the beacon id (the printed sticker)
    NOT_CAPTURED = "not_captured"  # a refund of a payment that is not captured
    REFUND_TOO_HIGH = "refund_too_high"  # more than is left to refund on the payment
    REFUND_TOO_OLD = "refund_too_old"  # the payment is too old to be refunded
    REFUND_CURRENCY_DIFFERS = "refund_currency_differs"  # not in the payment's currency
    BALANCE_TOO_LOW = "balance_too_low"  # the store's balance cannot cover the refund


class MobilePayValidationError(MobilePayError, ValueError):
    """A request was refused locally, before any HTTP call, because a value is invalid."""

    def __init__(self, message, errors=()):
        super().__init__(message)
        self.errors = list(errors)

    @classmethod
    def from_pydantic(cls, model_name, exc):
        errors = exc.errors(include_url=False, include_input=False)
        parts = []
        for err in errors:
            field = ".".join(str(p) for p in err.get("loc", ())) or model_name
            parts.append(f"{field}: {err.get('msg', 'invalid value')}")
        return cls(f"Invalid {model_name}: " + "; ".join(parts), errors)


class MobilePayTransportError(MobilePayError):
    """The service could not be reached (connection error or timeout) after all retries."""


class MobilePayTimeout(MobilePayTransportError):
    """The service did not answer in time (after all retries). It may have done what was asked."""


class MobilePayApiError(MobilePayError):
    """MobilePay answered with an error status.

    ``code`` is the API's error code as a string when the body carried one (for logs and support:
    callers branch on ``reason``, the API's code in neutral words, None when none applies);
    ``correlation_id`` is what MobilePay support asks for.
    """

    def __init__(
        self, status, code=None, message=None, correlation_id=None, origin=None, method=None, path=None, reason=None
    ):
        self.status = status
        self.code = code
        self.reason = reason
        self.api_message = message
        self.correlation_id = correlation_id
        self.origin = origin
        self.method = method
        self.path = path
        meaning = message or "no details given"
        text = f"MobilePay answered HTTP {status}"
        if code:
            text += f" with code {code}"
        text += f": {meaning}"
        if method and path:
            text += f" ({method} {path})"
        if correlation_id:
            text += f" [correlation id {correlation_id}]"
        super().__init__(text)


class MobilePayBadRequest(MobilePayApiError):
    """HTTP 400: a request value or header was refused by MobilePay."""


class MobilePayAuthenticationError(MobilePayApiError):
    """HTTP 401: the credentials or the access token were refused."""


class MobilePayForbidden(MobilePayApiError):
    """HTTP 403: the resource belongs to another integrator or merchant."""


class MobilePayNotFound(MobilePayApiError):
    """HTTP 404: the resource does not exist."""


class MobilePayConflict(MobilePayApiError):
    """HTTP 409: the resource's state conflicts with the request."""


class MobilePayServerError(MobilePayApiError):
    """HTTP 5xx: MobilePay failed; retried already, quote the code to support."""


class MobilePaySimulationRefused(MobilePayApiError):
    """The sandbox user simulation refused the customer action (HTTP 500 with a code of 2001-2007)."""


class MobilePayBusy(MobilePayApiError):
    """MobilePay did not do it now and asks to try again later (ePayment: HTTP 423/429, or a
    "try again" code of the API). This answer made nothing, but an earlier attempt
    with the same idempotency key may have: it is never a refusal of what the key asked for.
    ``retry_after`` is the wait MobilePay asked for, in seconds (None when it did not say)."""

    key_is_spent = False  # answered before processing: the same key may be sent again

    def __init__(self, status, *args, retry_after=None, **kwargs):
        super().__init__(status, *args, **kwargs)
        self.retry_after = retry_after


class MobilePayResponseError(MobilePayApiError):
    """MobilePay answered, but not with something this client understands (not JSON, wrong shape,
    an unknown status). What MobilePay did with the request is unknown."""


_BY_STATUS = {
    400: MobilePayBadRequest,
    401: MobilePayAuthenticationError,
    403: MobilePayForbidden,
    404: MobilePayNotFound,
    409: MobilePayConflict,
}


def outcome_unknown(error):
    """Whether MobilePay may have carried out the request that raised ``error``.

    True for a lost or unreadable answer (network error, timeout, 5xx after the
    retries, an answer we cannot parse) and for a busy answer (``MobilePayBusy``: it made
    nothing, but an earlier attempt with the same key, whose answer was lost, may have):
    the request may have been processed, so a create call must be re-sent with the same
    idempotency key, never given up. False for a definite refusal (4xx, or a request
    refused before it was sent).
    """
    return isinstance(error, (MobilePayTransportError, MobilePayServerError, MobilePayResponseError, MobilePayBusy))


def is_busy(error):
    """Whether MobilePay asked to try again later (nothing was done by this answer)."""
    return isinstance(error, MobilePayBusy)


def key_spent(error):
    """Whether MobilePay keeps this answer for the request's idempotency key, so that repeating the
    request with that key only brings the answer back: a definite refusal, or a "try again later"
    that the API itself answered (not a gateway's 423/429). A later attempt needs a new key."""
    if isinstance(error, MobilePayBusy):
        return bool(error.key_is_spent)
    return isinstance(error, MobilePayApiError) and not outcome_unknown(error)


def api_error_class(status):
    if status >= 500:
        return MobilePayServerError
    return _BY_STATUS.get(status, MobilePayApiError)
