"""Field formats only the PoS API v10 has: the merchant VAT header, the client system version and the
merchant brand and location ids (API.md sections 4 and 6)."""

import re

from ..formats import check_text

VAT_RE = re.compile(r"^(DK|FI)[0-9]{8}$")
SYSTEM_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
MERCHANT_BRAND_ID_RE = re.compile(r"^(MPPOS|POSDK|POSFI)[0-9A-Za-z]{5}$")


def check_vat_number(value: str) -> str:
    """The merchant VAT header: DK or FI followed by 8 digits."""
    if not isinstance(value, str) or not VAT_RE.match(value):
        raise ValueError("must be DK or FI followed by 8 digits, e.g. DK12345678")
    return value


def check_system_version(value: str) -> str:
    if not isinstance(value, str) or not SYSTEM_VERSION_RE.match(value):
        raise ValueError("must be Major.Minor.Build, e.g. 1.2.1")
    return value


def check_merchant_brand_id(value: str) -> str:
    if not isinstance(value, str) or not MERCHANT_BRAND_ID_RE.match(value):
        raise ValueError("must be MPPOS, POSDK or POSFI followed by 5 characters, e.g. MPPOS12345")
    return value


def check_merchant_location_id(value: str) -> str:
    check_text(value, max_length=5)
    if len(value) != 5:
        raise ValueError("must be exactly 5 characters, e.g. 00001")
    return value
