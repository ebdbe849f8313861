"""argparse types of the command lines (emulator, walkthrough, tools): a bad value is a clear usage error."""

import argparse
import math
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit


def whole_number(minimum=0, maximum=None):
    """A whole number, at least ``minimum`` (and at most ``maximum`` when given)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"cannot be negative (got {value})" if minimum == 0 else f"must be at least {minimum} (got {value})")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum} (got {value})")
        return value

    return parse


def seconds(positive=False, signed=False, unit="seconds"):
    """A finite number of seconds (or another ``unit``): 0 or more, above 0 with ``positive``, of either sign
    with ``signed`` (where a negative value means something)."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number (got {text})")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit} (got {text})")
        if not signed and value < 0:
            raise argparse.ArgumentTypeError(f"cannot be negative (got {text})")
        return value

    return parse


def port(text):
    """A TCP port, 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535; 0 picks a free one)")
    return value


def non_empty(text):
    """Any text but the empty one (or only blanks)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def http_url(text):
    """An http:// or https:// URL with a host, e.g. http://127.0.0.1:8765."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number or out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"needs an http(s) URL such as http://127.0.0.1:8765 (got {text!r})")
    return text


def amount(minimum, maximum, currency):
    """An amount in ``currency``'s units: finite, from ``minimum`` to ``maximum`` (Decimals), at most 2 decimals."""

    def parse(text):
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = None
        # The range first: quantizing a huge number overflows Decimal's precision.
        if value is None or not value.is_finite() or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be a finite number of {currency} from {minimum} to {maximum} (got {text})")
        if value != value.quantize(Decimal("0.01")):
            raise argparse.ArgumentTypeError(f"must have at most 2 decimals (got {text})")
        return value.quantize(Decimal("0.01"))

    return parse
