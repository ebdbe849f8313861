"""Request bodies of the ePayment API, checked as API.md sections 6 and 7 describe them.

Unknown properties are ignored everywhere (the live API has grown since the saved specs; a
client may send newer fields). Schema errors (a missing required property, a wrong type, a
pattern, a length or an enum) are validation errors: HTTP 400 naming the field in
``extraDetails`` (API.md 6.5). The numbered codes are used where API.md names one:

* 4040 an amount that is not an integer (decimals, API.md 6.1);
* 4070 a phone number that is not ``^\\d{10,15}$`` (API.md 6.3);
* 4140 a property required by another one: ``customer`` with ``PUSH_MESSAGE``, ``returnUrl``
  with ``WEB_REDIRECT``/``NATIVE_REDIRECT``, ``receipt`` with ``expiresAt`` [inference: "missing
  required parameter"].

The domain checks (5040, 6010, 5080, the customer look-up 7010/4060/4050) come after these, in
``payments.create``.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from .problems import ERROR_CODES, ApiError, coded, invalid

# API.md 6.2: 8-50 in spec 1.4.1, 8-64 since ePayment v1.7.0 (Jan 2025) [LIVE]; the live limit is emulated.
REFERENCE_RE = re.compile(r"^[a-zA-Z0-9-]{8,64}$")
MSISDN_RE = re.compile(r"^\d{10,15}$")  # API.md 6.3
MSN_RE = re.compile(r"^[0-9]{4,6}$")  # API.md 3.1
QUANTITY_RE = re.compile(r"^\d+([\.]\d{1,8})?$")  # Order Management 2.3.24 UnitInfo.quantity
# The expiresAt pattern of the spec (RFC 3339).
RFC3339_RE = re.compile(r"^((?:(\d{4}-\d{2}-\d{2})(T|t)(\d{2}:\d{2}:\d{2}(?:\.\d+)?))"
                        r"(Z|z|([+-](?:2[0-3]|[01][0-9]):[0-5][0-9])))$")

CURRENCIES = ("NOK", "DKK", "EUR")
USER_FLOWS = ("PUSH_MESSAGE", "NATIVE_REDIRECT", "WEB_REDIRECT", "QR")
PAYMENT_METHODS = ("WALLET", "CARD")
INTERACTIONS = ("CUSTOMER_PRESENT", "CUSTOMER_NOT_PRESENT")
QR_FORMATS = ("TEXT/TARGETURL", "IMAGE/SVG+XML", "IMAGE/PNG")
CUSTOMER_VARIANTS = ("phoneNumber", "personalQr", "customerToken")
QUANTITY_UNITS = ("PCS", "KG", "KM", "MINUTE", "LITRE", "KWH")
BARCODE_FORMATS = ("EAN-13", "CODE 39", "CODE 128")
PROFILE_SCOPES = ("name", "address", "email", "phoneNumber", "birthDate", "nin")
MAX_AMOUNT = 65_000_000  # API.md 6.1
# expiresAt: more than 10 minutes and less than 60 days ahead (28 in spec 1.4.1; API.md 0 "by Nov 2024").
EXPIRES_AT_MIN = timedelta(minutes=10)
EXPIRES_AT_MAX = timedelta(days=60)


def is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_list_of(value, allowed):
    """A JSON array whose items are all among the strings ``allowed`` (whatever the items' types)."""
    return isinstance(value, list) and all(isinstance(item, str) and item in allowed for item in value)


def _text(body, name, where, required=False, min_len=0, max_len=None, nullable=True):
    value = body.get(name)
    if value is None:
        if required or (name in body and not nullable):
            raise invalid(where, "The field is required." if required else "The field cannot be null.")
        return None
    if not isinstance(value, str):
        raise invalid(where, "The field must be a string.")
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        limit = f"between {min_len} and {max_len}" if max_len is not None else f"at least {min_len}"
        raise invalid(where, f"The length must be {limit} characters.")
    return value


def _integer(body, name, where, minimum=None, maximum=None, required=False):
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(where, "The field is required.")
        return None
    if not is_integer(value):
        raise invalid(where, "The field must be an integer.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise invalid(where, f"The value must be between {minimum} and {maximum}.")
    return value


def _enum(body, name, where, allowed, required=False):
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(where, "The field is required.")
        return None
    if value not in allowed:
        raise invalid(where, f"The value must be one of {', '.join(allowed)}.")
    return value


def _object(body, name, where, required=False):
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(where, "The field is required.")
        return None
    if not isinstance(value, dict):
        raise invalid(where, "The field must be an object.")
    return value


def _boolean(body, name, where):
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(where, "The field must be true or false.")
    return value


def amount(body, name="amount"):
    """(value, currency) of an ``Amount`` (API.md 6.1)."""
    obj = _object(body, name, name, required=True)
    currency = _enum(obj, "currency", f"{name}.currency", CURRENCIES, required=True)
    value = obj.get("value")
    if value is None:
        raise invalid(f"{name}.value", "The field is required.")
    if isinstance(value, float):
        raise coded("4040", f"{name}.value must be an integer in minor units (1250 for 12.50), not {value!r}")
    if not is_integer(value):
        raise invalid(f"{name}.value", "The field must be an integer in minor units.")
    if not 0 <= value <= MAX_AMOUNT:
        raise invalid(f"{name}.value", f"The value must be between 0 and {MAX_AMOUNT}.")
    return value, currency


def reference(value, where="reference"):
    if not isinstance(value, str) or not REFERENCE_RE.match(value):
        raise invalid(where, "The reference must match ^[a-zA-Z0-9-]{8,64}$.")
    return value


def customer(obj, where="customer"):
    """(variant, value) of a ``Customer``: exactly one of phoneNumber, personalQr, customerToken (API.md 7.1)."""
    if not isinstance(obj, dict):
        raise invalid(where, "The field must be an object.")
    given = [name for name in CUSTOMER_VARIANTS if obj.get(name) is not None]
    if len(given) != 1:
        raise invalid(where, "Specify exactly one of phoneNumber, personalQr and customerToken.")
    variant = given[0]
    value = obj[variant]
    if not isinstance(value, str):
        raise invalid(f"{where}.{variant}", "The field must be a string.")
    if variant == "phoneNumber" and not MSISDN_RE.match(value):
        raise coded("4070", "The phone number must be an MSISDN: country code and number, digits only "
                            "(e.g. 4512345678)")
    if variant == "personalQr" and not 5 <= len(value) <= 255:
        raise invalid(f"{where}.personalQr", "The length must be between 5 and 255 characters.")
    if variant == "customerToken" and not value:
        raise invalid(f"{where}.customerToken", "The field cannot be empty.")
    return variant, value


def metadata(body):
    """At most 5 pairs, keys up to 100 and values up to 500 characters (API.md 6.4)."""
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("metadata", "The field must be an object of strings.")
    if len(value) > 5:
        raise invalid("metadata", "At most 5 key-value pairs are allowed.")
    for key, text in value.items():
        if not key or len(key) > 100:
            raise invalid("metadata", "Keys must be 1 to 100 characters long.")
        if not isinstance(text, str) or len(text) > 500:
            raise invalid(f"metadata.{key}", "Values must be strings of at most 500 characters.")
    return dict(value)


def receipt(value, where="receipt"):
    """The Order Management 2.3.24 ``Receipt`` (API.md 7.1.2). ``taxRate`` (0-10000) may replace the
    deprecated ``taxPercentage`` (0-100) [SDK][LIVE]; one of them is required."""
    if not isinstance(value, dict):
        raise invalid(where, "The field must be an object.")
    lines = value.get("orderLines")
    if not isinstance(lines, list) or not lines:
        raise invalid(f"{where}.orderLines", "At least one order line is required.")
    for i, line in enumerate(lines):
        at = f"{where}.orderLines[{i}]"
        if not isinstance(line, dict):
            raise invalid(at, "An order line must be an object.")
        _text(line, "name", f"{at}.name", required=True, min_len=1)
        _text(line, "id", f"{at}.id", required=True, min_len=1)
        for name in ("totalAmount", "totalAmountExcludingTax", "totalTaxAmount"):
            _integer(line, name, f"{at}.{name}", required=True)
        if line.get("taxPercentage") is None and line.get("taxRate") is None:
            raise invalid(f"{at}.taxPercentage", "The field is required (or taxRate).")
        _integer(line, "taxPercentage", f"{at}.taxPercentage", 0, 100)
        _integer(line, "taxRate", f"{at}.taxRate", 0, 10000)
        _integer(line, "discount", f"{at}.discount", minimum=0)
        _text(line, "productUrl", f"{at}.productUrl")
        _boolean(line, "isReturn", f"{at}.isReturn")
        _boolean(line, "isShipping", f"{at}.isShipping")
        unit = _object(line, "unitInfo", f"{at}.unitInfo")
        if unit is not None:
            if "unitPrice" not in unit:
                raise invalid(f"{at}.unitInfo.unitPrice", "The field is required.")
            _integer(unit, "unitPrice", f"{at}.unitInfo.unitPrice", minimum=0)
            quantity = _text(unit, "quantity", f"{at}.unitInfo.quantity", required=True, max_len=10)
            if not QUANTITY_RE.match(quantity):
                raise invalid(f"{at}.unitInfo.quantity", "The quantity must match ^\\d+([\\.]\\d{1,8})?$.")
            _enum(unit, "quantityUnit", f"{at}.unitInfo.quantityUnit", QUANTITY_UNITS)
    bottom = _object(value, "bottomLine", f"{where}.bottomLine", required=True)
    _enum(bottom, "currency", f"{where}.bottomLine.currency", CURRENCIES, required=True)
    for name in ("tipAmount", "giftCardAmount", "totalTax", "totalDiscount", "shippingAmount"):
        _integer(bottom, name, f"{where}.bottomLine.{name}", minimum=0)
    _integer(bottom, "totalAmount", f"{where}.bottomLine.totalAmount")
    for name in ("posId", "receiptNumber", "terminalId"):
        _text(bottom, name, f"{where}.bottomLine.{name}")
    sources = _object(bottom, "paymentSources", f"{where}.bottomLine.paymentSources")
    for name in ("giftCard", "card", "voucher", "cash"):
        if sources is not None:
            _integer(sources, name, f"{where}.bottomLine.paymentSources.{name}")
    barcode = _object(bottom, "barcode", f"{where}.bottomLine.barcode")
    if barcode is not None:
        _enum(barcode, "format", f"{where}.bottomLine.barcode.format", BARCODE_FORMATS, required=True)
        if "data" not in barcode:
            raise invalid(f"{where}.bottomLine.barcode.data", "The field is required.")
        _text(barcode, "data", f"{where}.bottomLine.barcode.data")
    return value


def receipt_total(value) -> int:
    """Order lines (returns negative) plus the tip: what the customer pays according to the receipt."""
    total = 0
    for line in value["orderLines"]:
        total += -line["totalAmount"] if line.get("isReturn") else line["totalAmount"]
    return total + (value["bottomLine"].get("tipAmount") or 0)


@dataclass
class CreateRequest:
    reference: str
    value: int
    currency: str
    payment_method: str
    user_flow: str
    customer_variant: Optional[str]
    customer_value: Optional[str]
    customer_interaction: str
    qr_format: Optional[str]
    qr_size: Optional[int]
    description: Optional[str]
    receipt: Optional[dict]
    metadata: Optional[dict]
    minimum_user_age: Optional[int]
    profile_scope: Optional[str]
    return_url: Optional[str]
    expires_at: Optional[datetime]


def _expires_at(body, user_flow, has_receipt, now):
    text = _text(body, "expiresAt", "expiresAt")
    if text is None:
        return None
    if not RFC3339_RE.match(text):
        raise invalid("expiresAt", "The value must be an RFC 3339 date and time.")
    normalized = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("z", "Z").replace("t", "T")).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(normalized)
    except ValueError:  # matches the pattern but is no moment: 2024-02-30, 25:00:00
        raise invalid("expiresAt", "The value must be an RFC 3339 date and time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if user_flow not in ("PUSH_MESSAGE", "QR"):
        raise invalid("expiresAt", "expiresAt can only be combined with userFlow PUSH_MESSAGE or QR.")
    if not has_receipt:
        raise coded("4140", "expiresAt requires a receipt")
    if not now + EXPIRES_AT_MIN < moment < now + EXPIRES_AT_MAX:
        raise invalid("expiresAt", "The value must be more than 10 minutes and less than 60 days in the future.")
    return moment


def create_request(body, now) -> CreateRequest:
    """``CreatePaymentRequest`` (API.md 7.1)."""
    ref = reference(body.get("reference"))
    value, currency = amount(body)
    method = _object(body, "paymentMethod", "paymentMethod", required=True)
    method_type = _enum(method, "type", "paymentMethod.type", PAYMENT_METHODS, required=True)
    blocked = method.get("blockedSources")
    if blocked is not None and not is_list_of(blocked, ("COMMERCIAL_CARDS",)):
        raise invalid("paymentMethod.blockedSources", "The only blocked source is COMMERCIAL_CARDS.")
    flow = _enum(body, "userFlow", "userFlow", USER_FLOWS, required=True)
    if method_type == "CARD" and flow != "WEB_REDIRECT":
        raise invalid("paymentMethod.type", "CARD can only be combined with userFlow WEB_REDIRECT.")
    variant = customer_value = None
    if body.get("customer") is not None:
        variant, customer_value = customer(body["customer"])
    elif flow == "PUSH_MESSAGE":
        raise coded("4140", "customer is required with userFlow PUSH_MESSAGE")
    interaction = _enum(body, "customerInteraction", "customerInteraction", INTERACTIONS) or "CUSTOMER_NOT_PRESENT"
    qr_format = qr_size = None
    fmt = _object(body, "qrFormat", "qrFormat")
    if fmt is not None:
        qr_format = _enum(fmt, "format", "qrFormat.format", QR_FORMATS, required=True)
        qr_size = _integer(fmt, "size", "qrFormat.size", 100, 2000)
    if flow == "QR":
        qr_format = qr_format or "IMAGE/SVG+XML"
        if qr_format == "IMAGE/PNG":
            qr_size = qr_size or 1024
    else:
        qr_format = qr_size = None  # "only applicable when userFlow is set to QR" [S-EP]
    description = _text(body, "paymentDescription", "paymentDescription", min_len=3, max_len=100)
    receipt_value = receipt(body["receipt"]) if body.get("receipt") is not None else None
    meta = metadata(body)
    min_age = _integer(body, "minimumUserAge", "minimumUserAge", 0, 150)
    profile = _object(body, "profile", "profile")
    scope = None
    if profile is not None:
        scope = _text(profile, "scope", "profile.scope")
        if scope and set(scope.split()) - set(PROFILE_SCOPES):
            raise invalid("profile.scope", f"The scopes are {', '.join(PROFILE_SCOPES)}, separated by spaces.")
    return_url = _text(body, "returnUrl", "returnUrl")
    if flow in ("WEB_REDIRECT", "NATIVE_REDIRECT") and not return_url:
        raise coded("4140", f"returnUrl is required with userFlow {flow}")
    _text(body, "receiptUrl", "receiptUrl")
    expires_at = _expires_at(body, flow, receipt_value is not None, now)
    return CreateRequest(ref, value, currency, method_type, flow, variant, customer_value, interaction, qr_format,
                         qr_size, description, receipt_value, meta, min_age, scope, return_url, expires_at)


def modification(body):
    """``modificationAmount`` of a capture or refund (API.md 7.4, 7.6): a positive amount."""
    value, currency = amount(body, "modificationAmount")
    if value < 1:
        raise invalid("modificationAmount.value", "The value must be at least 1.")
    return value, currency


def cancel_request(body) -> bool:
    """The optional cancel body ``{"cancelTransactionOnly": true|false}`` (API.md 0, 7.5)."""
    return bool(_boolean(body, "cancelTransactionOnly", "cancelTransactionOnly"))


def force_approve_request(body):
    """``ForceApprove`` (API.md 7.7): ("customer", variant, value) or ("token", token, None)."""
    if body.get("customer") is not None:
        variant, value = customer(body["customer"])
        return "customer", variant, value
    token = _text(body, "token", "token")
    if token:
        return "token", token, None
    if token is not None:  # "": no payment has it (API.md 7.7, emulator README (12): every refusal is 10010)
        raise ApiError(400, ERROR_CODES["10010"][1], "Approve failed: the token is empty", code="10010",
                       fields=[("token", "The token cannot be empty.")])
    raise ApiError(400, "Bad Request", "Give either customer or token", fields=[("customer", "customer or token "
                                                                                          "is required.")])
