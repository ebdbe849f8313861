"""Field formats both APIs share: text, GUIDs, beacon ids, amounts (the PoS API v10's API.md section 6).

Shared by the request models, the client and the emulator so that both sides
agree on what a valid value is.
"""

import re
import uuid
from decimal import Decimal, InvalidOperation

MAX_TEXT_LENGTH = 36
MAX_AMOUNT = Decimal("1e12")  # amounts are below this (a sanity bound, far above any real payment)

# The documented valid character set (extended 2021-05-25). The backslash is
# ambiguous in the docs: it is accepted here (lenient) and stripped by
# ``clean_text`` before the client sends text it derived itself.
VALID_CHARACTERS = frozenset(
    "0123456789"
    "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    " "
    "æÆøØåÅäÄöÖšŠžŽâÂàÀáÁãÃéÉêÊëËèÈíÍîÎïÏìÌüÜûÛùÙúÚôÔòÒóÓõÕÿýÝñÑ"
    "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~\\"
    "¦¯¨´×«»ðþçß¤ÇµÐÞ±°ªº©§¶¼½¾¬®¢£¥¡¿¹²³"
)

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
FIFTEEN_DIGITS_RE = re.compile(r"^[0-9]{15}$")


def invalid_characters(value: str) -> str:
    """Return the characters of ``value`` outside the valid set, in order, once each."""
    seen = []
    for char in value:
        if char not in VALID_CHARACTERS and char not in seen:
            seen.append(char)
    return "".join(seen)


def check_text(value: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Validate a request text field: non-empty, at most 36 valid characters."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if not value:
        raise ValueError("must not be empty")
    if len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters (got {len(value)})")
    bad = invalid_characters(value)
    if bad:
        raise ValueError(f"contains characters outside the MobilePay character set: {bad!r}")
    return value


def clean_text(value: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Turn free text (an order name, a config name) into a valid text field.

    Drops the backslash and every character outside the valid set, folds
    whitespace and truncates to ``max_length``. Used for values the client
    derives itself, never for identifiers the caller must get back unchanged.
    """
    kept = "".join(c if c in VALID_CHARACTERS and c != "\\" else " " for c in value)
    return " ".join(kept.split())[:max_length].strip()


def check_guid(value: str) -> str:
    """Validate a GUID and return it lowercase (as MobilePay writes them)."""
    if not isinstance(value, str) or not GUID_RE.match(value):
        raise ValueError("must be a GUID such as 3974eae6-e36f-4148-b5ee-22689e528c75")
    return value.lower()


def check_beacon_id(value: str) -> str:
    """A beaconId is a GUID or exactly 15 digits."""
    if isinstance(value, str) and FIFTEEN_DIGITS_RE.match(value):
        return value
    if isinstance(value, str) and GUID_RE.match(value):
        return value.lower()
    raise ValueError("must be a GUID or exactly 15 digits")


def to_amount(value) -> Decimal:
    """Parse an amount: a number > 0 in major units with at most 2 decimals."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount <= 0:
        raise ValueError("must be greater than 0")
    # The size first: quantizing a huge number overflows Decimal's precision.
    if amount >= MAX_AMOUNT:
        raise ValueError("is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most 2 decimals")
    return amount.quantize(Decimal("0.01"))


def new_guid() -> str:
    """A fresh lowercase GUID: idempotency keys, generated beacon ids."""
    return str(uuid.uuid4())
