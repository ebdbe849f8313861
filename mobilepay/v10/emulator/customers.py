"""Simulated customers: the sandbox test users of API.md section 14."""

import hashlib
from dataclasses import dataclass, field

CREDIT = "Credit"
DEBIT = "Debit"


@dataclass(frozen=True)
class SimulatedUser:
    phone_number: str  # E.164 without spaces, e.g. "+4520031801"
    card: str = CREDIT  # payment source: "Credit" or "Debit"
    loyalty_ids: tuple = ()
    partial_capture: bool = False
    # When True, accepting a payment fails the reservation: CancelledByMobilePay (P13).
    reservation_fails: bool = False
    label: str = field(default="", compare=False)

    @property
    def customer_token(self) -> str:
        """Opaque, stable per customer, 40 characters (like the spec example)."""
        return hashlib.sha1(("customer:" + self.phone_number).encode()).hexdigest()

    @property
    def customer_receipt_token(self) -> str:
        """Storebox receipt token, 32 characters."""
        return hashlib.md5(("receipt:" + self.phone_number).encode()).hexdigest()


def _pair(suffix, card, feature, **extra):
    return [
        SimulatedUser(f"+452003180{suffix}", card=card, label=f"DK {card.lower()} card{feature}", **extra),
        SimulatedUser(f"+35820031800{suffix}", card=card, label=f"FI {card.lower()} card{feature}", **extra),
    ]


DEFAULT_TEST_USERS = tuple(
    _pair(1, CREDIT, "")
    + _pair(2, DEBIT, "")
    + _pair(3, CREDIT, "")
    + _pair(4, CREDIT, ", loyalty", loyalty_ids=("123456",))
    + _pair(5, CREDIT, ", partial capture", partial_capture=True)
)


def normalize_phone_number(value: str) -> str:
    """"+45 20 03 18 01" and "004520031801" become "+4520031801"."""
    text = "".join(ch for ch in str(value) if ch not in " -()\t")
    if text.startswith("00"):
        text = "+" + text[2:]
    return text
