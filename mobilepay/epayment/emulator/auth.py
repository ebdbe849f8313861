"""``POST /accesstoken/get`` and the checks every API call passes (API.md 3.2, 4).

Token endpoint: headers ``client_id``, ``client_secret``, ``Ocp-Apim-Subscription-Key`` and optionally
``Merchant-Serial-Number``; the body is ignored (it is meant to be empty). ``200`` with every value a
string (API.md 3.2), ``application/json;charset=UTF-8`` as in [S-AT]. A missing or unknown
subscription key: the gateway's 401 (see problems.py); a missing client_id/client_secret: 400; an
unknown client_id, a wrong secret, the subscription key of another sales unit, or a
``Merchant-Serial-Number`` of another sales unit than the keys': 401 [S-AT][SK] (bodies
[Unconfirmed], API.md 15 point 17).

API calls: ``Ocp-Apim-Subscription-Key`` (any sales unit's key) and ``Authorization: Bearer <token>``
(401 without the word Bearer, with an expired or a forged token; API.md 3.2, 4), then the
``Merchant-Serial-Number``: required on ePayment and merchant-callback calls (400 naming the header),
optional on the Webhooks API and the QR exchange; when sent it must be the token's sales unit
[inference: 403, "product/permission missing for the sales unit", API.md 6.5].
"""

import hmac
import json

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from .problems import (
    INVALID_SUBSCRIPTION_KEY,
    INVALID_TOKEN,
    MISSING_SUBSCRIPTION_KEY,
    ApiError,
    gateway_denied,
    invalid,
)
from .tokens import InvalidToken
from .validation import MSN_RE

SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
MSN_HEADER = "Merchant-Serial-Number"
SYSTEM_HEADERS = ("Vipps-System-Name", "Vipps-System-Version", "Vipps-System-Plugin-Name",
                  "Vipps-System-Plugin-Version")
TOKEN_CONTENT_TYPE = "application/json;charset=UTF-8"
TOKEN_RESOURCE = "00000002-0000-0000-c000-000000000000"


def _subscription(call):
    key = (call.request.headers.get(SUBSCRIPTION_HEADER) or "").strip()
    if not key:
        raise gateway_denied(MISSING_SUBSCRIPTION_KEY)
    if not call.state.known_subscription_key(key):
        raise gateway_denied(INVALID_SUBSCRIPTION_KEY)
    return key


def access_token(call):
    with call.state.lock:
        key = _subscription(call)
        client_id = call.underscore_header("client_id")
        client_secret = call.underscore_header("client_secret")
        if not client_id or not client_secret:
            raise ApiError(400, "Bad Request", "The headers client_id and client_secret are required (with "
                                               "underscores)", oauth="invalid_request")
        unit = call.state.unit_by_client(client_id)
        if unit is None or not hmac.compare_digest(unit.client_secret.encode(), client_secret.encode()):
            raise ApiError(401, "Unauthorized", "Unknown client_id or wrong client_secret", oauth="unauthorized_client")
        if unit.subscription_key != key:
            raise ApiError(401, "Unauthorized", "The subscription key belongs to another sales unit",
                           oauth="unauthorized_client")
        msn = (call.request.headers.get(MSN_HEADER) or "").strip()
        if msn and msn != unit.msn:
            raise ApiError(401, "Unauthorized", f"The keys belong to another sales unit than {msn}",
                           oauth="unauthorized_client")
        expires_in = int(call.settings.token_expires_in_s)
        issuer = call.base_url + "/accesstoken"
        token, not_before, expires_on = call.emulator.tokens.issue(unit.client_id, unit.msn, issuer, expires_in)
    body = {"token_type": "Bearer", "expires_in": str(expires_in), "ext_expires_in": "0",
            "expires_on": str(expires_on), "not_before": str(not_before), "resource": TOKEN_RESOURCE,
            "access_token": token}
    response = Response(json.dumps(body), status=200, content_type=TOKEN_CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def authenticate(call, msn_required=True):
    """The sales unit the call acts for, or an ApiError (401 gateway, 400 header, 403 other MSN)."""
    request = call.request
    with call.state.lock:
        _subscription(call)
        scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise gateway_denied(INVALID_TOKEN)
        try:
            claims = call.emulator.tokens.verify(token.strip())
        except InvalidToken:
            raise gateway_denied(INVALID_TOKEN) from None
        unit = call.state.sales_units.get(claims["msn"])
        if unit is None or unit.client_id != claims["client_id"]:
            raise gateway_denied(INVALID_TOKEN)  # a sales unit forgotten by reset()
    msn = (request.headers.get(MSN_HEADER) or "").strip()
    if not msn:
        if msn_required:
            raise invalid(MSN_HEADER, "The header is required.")
        return unit
    if not MSN_RE.match(msn):
        raise invalid(MSN_HEADER, "The header must be 4 to 6 digits.")
    if msn != unit.msn:
        raise ApiError(403, "Forbidden", f"The access token is not valid for Merchant-Serial-Number {msn}")
    return unit


def check_system_headers(call):
    """``Vipps-System-*``: at most 30 characters each (API.md 4, 6.4)."""
    for name in SYSTEM_HEADERS:
        value = call.request.headers.get(name)
        if value is not None and len(value) > 30:
            raise invalid(name, "The header can be at most 30 characters long.")


def rules():
    return [Rule("/accesstoken/get", methods=["POST"], endpoint=access_token)]
