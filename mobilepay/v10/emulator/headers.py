"""Header checks of every PoS API call (API.md sections 3.4, 4).

Order: bearer token (401), merchant_vat claim (1182), VAT header (1151/1155/1159),
system version (1153/1157/1161), obsolete system name only when sent
(1156/1160), then, on the four create POSTs, the idempotency key (1162-1164).
"""

from ... import formats
from ...emulator_kit.request_handler import HEADER_COUNTS_KEY  # lower-case header name -> times sent
from .. import formats as v10_formats
from .api_errors import ApiError, Unauthorized
from .state import RequestContext
from .tokens import InvalidToken

VAT_HEADER = "X-MobilePay-Merchant-VAT-Number"
VERSION_HEADER = "X-MobilePay-Client-System-Version"
NAME_HEADER = "X-MobilePay-Client-System-Name"
IDEMPOTENCY_HEADER = "X-MobilePay-Idempotency-Key"
IBM_CLIENT_ID_HEADER = "X-IBM-Client-Id"
CORRELATION_HEADER = "CorrelationId"


def header(request, name, comma_means_duplicate=True):
    """(value, duplicated); an empty header counts as missing. A header sent twice reaches WSGI joined
    with a comma; the emulator's own server also counts the raw header lines, which keeps commas inside
    one value intact."""
    value = request.headers.get(name)
    if value is None or not value.strip():
        return None, False
    counts = request.environ.get(HEADER_COUNTS_KEY)
    if counts is not None:
        return value, counts.get(name.lower(), 1) > 1
    return value, comma_means_duplicate and "," in value


def bearer_claims(request, state, issuer):
    """Claims of a valid bearer token of a known integrator, else Unauthorized."""
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Bearer access token required")
    try:
        claims = issuer.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(f"Invalid access token: {exc}") from None
    if claims["client_id"] not in state.integrators:
        raise Unauthorized("Unknown client")
    return claims


def authenticate(request, state, issuer, correlation_id) -> RequestContext:
    settings = state.settings
    claims = bearer_claims(request, state, issuer)
    client_id = claims["client_id"]
    if settings.require_ibm_client_id and request.headers.get(IBM_CLIENT_ID_HEADER) != client_id:
        raise Unauthorized("X-IBM-Client-Id missing or not matching the access token")

    claim_vat = claims.get("merchant_vat")
    if claim_vat is not None and not (isinstance(claim_vat, str) and v10_formats.VAT_RE.match(claim_vat)):
        raise ApiError("1182")
    vat, duplicated = header(request, VAT_HEADER)
    if duplicated:
        raise ApiError("1155")
    if vat is not None:
        if not v10_formats.VAT_RE.match(vat):
            raise ApiError("1159")
        if claim_vat is not None and vat != claim_vat:
            # [Unconfirmed] a merchant-bound token used with another merchant's VAT header.
            raise ApiError("1159", message="The VAT header differs from the access token's merchant_vat")
    merchant_vat = vat or claim_vat
    if merchant_vat is None:
        raise ApiError("1151")

    version, duplicated = header(request, VERSION_HEADER)
    if version is None:
        raise ApiError("1153")
    if duplicated:
        raise ApiError("1157")
    if not v10_formats.SYSTEM_VERSION_RE.match(version):
        raise ApiError("1161")

    name, duplicated = header(request, NAME_HEADER, comma_means_duplicate=False)
    if name is not None:
        if duplicated:
            raise ApiError("1156")
        try:
            formats.check_text(name)
        except ValueError:
            raise ApiError("1160") from None

    return RequestContext(client_id=client_id, merchant_vat=merchant_vat, correlation_id=correlation_id)


def idempotency_key(request) -> str:
    key, duplicated = header(request, IDEMPOTENCY_HEADER, comma_means_duplicate=False)
    if key is None:
        raise ApiError("1164")
    if duplicated:
        raise ApiError("1163")
    try:
        return formats.check_text(key)
    except ValueError:
        raise ApiError("1162") from None
