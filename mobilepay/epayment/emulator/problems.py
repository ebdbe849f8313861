"""Error answers, raised as ``ApiError`` by the business logic and rendered per API family.

* ePayment: RFC 7807 ``application/problem+json`` with ``type``, ``title``, ``detail``, ``instance``,
  ``status``, ``traceId`` and ``extraDetails`` (API.md 6.5): ``[{"name": "ErrorCode", "reason": "6080"}]``
  for a numbered error, the failing field(s) instead for a validation error. ``instance`` is the path
  without ``/epayment``, as in the API.md example (``/v1/payments/.../capture``).
* Webhooks: ``ProblemDetails`` (the same fields, [S-WH]); ``instance`` without ``/webhooks``.
* QR merchant callback: ``QrErrorResponse`` (``type``, ``title``, ``detail``, ``instance``,
  ``invalidParams``) as ``application/json`` [S-QR]; the exchange endpoints ``{title, status, detail,
  extraDetails}``.
* Access token: ``{"error", "error_description"}`` [Unconfirmed] (API.md 15, point 17).
* A missing or wrong subscription key or bearer token is refused by the API gateway (Azure API
  Management) before any API sees the call: ``401 {"statusCode": 401, "message": "..."}`` for every
  family, the body Vipps MobilePay users report (vippsas/vipps-developers#80) [inference].
"""

import secrets

from werkzeug.wrappers import Response

# ControlError: a test control (Python method or ``/emulator/...`` endpoint) could not be carried out.
from ...emulator_kit.controls import ControlError as ControlError
from ...emulator_kit.json_responses import json_response as _json

PROBLEM_JSON = "application/problem+json"

# code -> (HTTP status, title). Statuses: 409 for idempotency and reference conflicts (API.md 5, 7.1.1),
# 422 for 5070 (since v1.6.0), 404 for 5090 [Unconfirmed: "probably 404"], 400 otherwise.
ERROR_CODES = {
    "4010": (409, "Capture idempotency conflict"),
    "4020": (409, "Idempotency-Key already exists"),
    "4040": (400, "Invalid amount"),
    "4050": (400, "Invalid customer token"),
    "4060": (400, "Invalid personal QR"),
    "4070": (400, "Invalid phone number"),
    "4140": (400, "Missing required parameter"),
    "4150": (409, "Reference already exists"),
    "5040": (400, "Invalid currency for merchant"),
    "5070": (422, "Payment cannot be created"),
    "5080": (400, "PUSH_MESSAGE not allowed"),
    "5090": (404, "Reference not found"),
    "6010": (400, "Amount too small"),
    "6040": (400, "Cannot cancel captured payment"),
    "6060": (400, "Cannot cancel authorized payment"),
    "6080": (400, "Cannot capture before reservation"),
    "6090": (400, "Capture amount too high"),
    "6100": (400, "Capture period expired"),
    "6140": (400, "Must capture full amount"),
    "6150": (400, "Not enough refundable"),
    "6160": (400, "Order processing"),  # another operation holds the payment: retry shortly (API.md 6.5)
    "6220": (400, "Refund period expired"),
    "6250": (400, "Cannot cancel processing payment"),
    "6260": (400, "Funds unavailable"),  # API.md 6.5, 7.4 (2026): a late capture; retry with the same key
    "6280": (400, "Capture failed"),  # API.md 6.5 (2026): try again later
    "7010": (400, "Customer not found"),
    "10010": (400, "Approve failed"),
}

STATUS_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity",
                 423: "Locked", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                 503: "Service Unavailable", 504: "Gateway Timeout"}

MISSING_SUBSCRIPTION_KEY = ("Access denied due to missing subscription key. Make sure to include subscription key "
                            "when making requests to an API.")
INVALID_SUBSCRIPTION_KEY = ("Access denied due to invalid subscription key. Make sure to provide a valid key for an "
                            "active subscription.")
INVALID_TOKEN = "Unauthorized. Access token is missing or invalid."


class ApiError(Exception):
    """An error answer. ``code``: the numeric ePayment error code; ``fields``: (name, reason) pairs of a
    validation error; ``gateway``: refused by the API gateway (APIM body); ``oauth``: the token
    endpoint's ``error`` value; ``headers``: sent with the answer (``Retry-After`` of a 429)."""

    def __init__(self, status, title=None, detail=None, code=None, fields=(), gateway=False, oauth=None,
                 headers=None):
        self.status = int(status)
        self.title = title or STATUS_TITLES.get(self.status, "Error")
        self.detail = detail or self.title
        self.code = None if code is None else str(code)
        self.fields = list(fields)
        self.gateway = gateway
        self.oauth = oauth
        self.headers = dict(headers or {})
        super().__init__(f"{self.status} {self.code or ''} {self.detail}".replace("  ", " "))


def coded(code, detail=None, status=None) -> ApiError:
    default_status, title = ERROR_CODES[str(code)]
    return ApiError(status or default_status, title, detail or title, code=code)


def invalid(field, reason) -> ApiError:
    """A validation error (HTTP 400) naming the field instead of a code (API.md 6.5)."""
    return ApiError(400, "Bad Request", f"One or more validation errors occurred: {field}: {reason}",
                    fields=[(field, reason)])


def gateway_denied(message) -> ApiError:
    return ApiError(401, "Unauthorized", message, gateway=True)


def new_trace_id() -> str:
    """W3C traceparent-like, as in the API.md examples (``00-<32 hex>-<16 hex>-01``)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def family_of(path: str) -> str:
    if path.startswith("/accesstoken/"):
        return "token"
    if path.startswith("/webhooks/"):
        return "webhooks"
    if path.startswith("/qr/v1/exchange"):
        return "qr-exchange"
    if path.startswith("/qr/"):
        return "qr"
    return "epayment"


def render(error: ApiError, path: str, trace_id: str) -> Response:
    response = _render(error, path, trace_id)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _render(error, path, trace_id):
    family = family_of(path)
    if error.gateway:
        return _json({"statusCode": error.status, "message": error.detail}, error.status)
    if family == "token":
        return _json({"error": error.oauth or "invalid_request", "error_description": error.detail}, error.status)
    pairs = [{"name": name, "reason": reason} for name, reason in error.fields]
    if family == "qr":
        body = {"type": _type_uri(error.status, qr=True), "title": error.title, "detail": error.detail,
                "instance": trace_id}
        if pairs:
            body["invalidParams"] = pairs
        return _json(body, error.status)
    if family == "qr-exchange":
        body = {"title": error.title, "status": error.status, "detail": error.detail}
        if pairs:
            body["extraDetails"] = pairs
        return _json(body, error.status)
    if error.code is not None:
        pairs = [{"name": "ErrorCode", "reason": error.code}] + pairs
    prefix = "/webhooks" if family == "webhooks" else "/epayment"
    instance = path[len(prefix):] if path.startswith(prefix + "/") else path
    body = {"type": _type_uri(error.status), "title": error.title, "detail": error.detail, "instance": instance,
            "status": error.status, "traceId": trace_id}
    if pairs:
        body["extraDetails"] = pairs
    return _json(body, error.status, PROBLEM_JSON)


def _type_uri(status, qr=False):
    if qr and status == 400:
        return "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1"  # as in the [S-QR] example
    return f"https://httpstatuses.io/{status}"  # as in the API.md 6.5 example
