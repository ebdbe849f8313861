"""Request bodies: JSON -> the request models of mobilepay.schemas, errors -> MobilePay codes.

Unknown properties are dropped before validation (or refused with 1099 when
``strict_unknown_properties`` is on). Values are validated strictly as JSON: an
amount must be a JSON number and a boolean a JSON boolean.
"""

import json

from pydantic import ValidationError

from ..schemas import PaymentRestrictions
from .api_errors import ApiError

# The first invalid field decides the error code; fields not listed give 1099.
FIELD_ERROR_CODES = {
    "amount": "1102",
    "orderId": "1113",
    "refundOrderId": "1114",
    "merchantPaymentLabel": "1117",
    "beaconId": "1100",
    "merchantPosId": "1111",
    "name": "1112",
    "callbackAlias": "1116",
}

# Required by pos.yaml although the request models give them a default.
SPEC_REQUIRED = {
    "InitiatePaymentRequest": ("plannedCaptureDelay",),
    "PaymentReadyRequest": ("plannedCaptureDelay",),
}

# Nested objects whose unknown properties are handled the same way.
NESTED_MODELS = {"restrictions": PaymentRestrictions}


def _aliases(model):
    return {f.alias or name for name, f in model.model_fields.items()}


def _known_properties(model, body, strict):
    """Keep only the properties the spec knows (by their camelCase name)."""
    known = _aliases(model)
    unknown = sorted(k for k in body if k not in known)
    if unknown and strict:
        raise ApiError("1099", message=f"Unknown properties: {', '.join(unknown)}")
    kept = {k: v for k, v in body.items() if k in known}
    for key, nested in NESTED_MODELS.items():
        if key in kept and key in known and isinstance(kept[key], dict):
            kept[key] = _known_properties(nested, kept[key], strict)
    return kept


def read_json(raw: bytes):
    if not raw:
        raise ApiError("1099", message="A JSON request body is required")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError("1099", message="The request body is not valid JSON (or is nested too deeply)") from None


def parse_body(model, raw: bytes, strict_unknown_properties=False):
    """Validate a request body with a request model; ApiError with the spec's code when it is invalid."""
    body = read_json(raw)
    if not isinstance(body, dict):
        raise ApiError("1099", message="The request body must be a JSON object")
    body = _known_properties(model, body, strict_unknown_properties)
    if "amount" in body and (isinstance(body["amount"], bool) or not isinstance(body["amount"], (int, float))):
        raise ApiError("1102", message="amount must be a JSON number")
    try:
        parsed = model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        where = ".".join(str(p) for p in first.get("loc", ())) or model.__name__
        raise ApiError(FIELD_ERROR_CODES.get(field, "1099"), message=f"{where}: {first['msg']}") from None
    for required in SPEC_REQUIRED.get(model.__name__, ()):
        if required not in body:
            raise ApiError(FIELD_ERROR_CODES.get(required, "1099"), message=f"{required} is required")
    return parsed
