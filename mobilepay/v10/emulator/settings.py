"""Tunables of the MobilePay PoS v10 emulator (API.md section 15).

Defaults follow the documented values; the ones no source confirms are marked
[Unconfirmed] and can be changed per emulator (tests use small delays).
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from ...emulator_kit.tunable_settings import TunableSettings

HOUR = 3600
DAY = 24 * HOUR

# The demo integrator and Danish store every emulator is seeded with (the store's brand
# and location are MobilePay's self-certification data, API.md section 14). Public demo
# values of the emulator, not secrets: demo mode, the walkthrough and tests use them.
DEMO_CLIENT_ID = "2b0b7f0e-6c1d-4a53-9d3e-5d1f7b0c9a11"
DEMO_CLIENT_SECRET = "emulator-demo-secret"
DEMO_MERCHANT_VAT = "DK90000028"
DEMO_FI_MERCHANT_VAT = "FI90000040"
DEMO_MERCHANT_BRAND_ID = "MPPOSCERT1"
DEMO_MERCHANT_LOCATION_ID = "00001"


@dataclass
class EmulatorSettings(TunableSettings):
    # pollDelayInMs returned by GET /payments/{id}, GET /pointofsales/{id}/checkin, GET /refunds/{id}
    payment_poll_delay_ms: int = 1000
    checkin_poll_delay_ms: int = 1000
    refund_poll_delay_ms: int = 100
    # A poll counts as early when it comes more than this many ms before the last pollDelayInMs ran out.
    early_poll_tolerance_ms: int = 0

    # Integrator Authentication: lifetime of an access token (expires_in).
    token_expires_in_s: int = 3700

    # Idempotency keys are kept at least this long (docs: "at least 24 h").
    idempotency_retention_s: float = DAY

    # Reserved -> ExpiredAndCancelled (P10).
    reservation_lifetime_s: float = 7 * DAY
    # Refund Reserved -> ExpiredAndCaptured (R6).
    refund_auto_capture_s: float = DAY
    # 1366: a payment can be refunded this long after its capture (30 days before 2022-07-26).
    refund_window_s: float = 90 * DAY
    # [Unconfirmed] Prepared/Paired/Initiated/IssuedToUser -> CancelledByMobilePay after this long without
    # a state change (P13 inactivity timeout). None disables it.
    inactivity_timeout_s: Optional[float] = 5 * 60
    # [Unconfirmed] An unpaired check-in is forgotten after this long. None keeps it forever.
    checkin_ttl_s: Optional[float] = 5 * 60
    # Refund Initiated -> Reserved (R2) happens this long after the refund was created.
    # None leaves refunds Initiated until a test control moves them.
    refund_reservation_delay_s: Optional[float] = 0.2
    # [Unconfirmed] loyaltyIds / customerReceiptToken stay null ("not looked up yet") this long after a
    # check-in. 0 makes them available at once.
    loyalty_lookup_delay_s: float = 0.0

    # 1368: MobilePay balance of stores created without an explicit balance. None = unlimited.
    default_store_balance: Optional[Decimal] = None

    # Reject request bodies with properties the spec does not know (1099) instead of ignoring them.
    strict_unknown_properties: bool = False
    # Require the legacy X-IBM-Client-Id header (equal to the token's client id) on PoS API calls.
    require_ibm_client_id: bool = False

    # Section 13 check-in notification: retries after the first attempt when the answer is not 200.
    notification_retries: int = 3
    notification_retry_delay_s: float = 1.0
    notification_timeout_s: float = 5.0
    # callbackAlias -> URL, registered at start-up (and again after reset()).
    callbacks: dict = field(default_factory=dict)

    # Demo integrator seeded into every emulator.
    demo_client_id: str = DEMO_CLIENT_ID
    demo_client_secret: str = DEMO_CLIENT_SECRET

    @classmethod
    def for_tests(cls, **overrides) -> "EmulatorSettings":
        """Short delays so a test suite runs in seconds (the pytest suite and the Odoo suite use them)."""
        values = dict(
            payment_poll_delay_ms=50,
            checkin_poll_delay_ms=50,
            refund_poll_delay_ms=20,
            refund_reservation_delay_s=0.05,
            notification_retry_delay_s=0.05,
            notification_timeout_s=2.0,
        )
        values.update(overrides)
        return cls(**values)

    def update(self, values: dict) -> None:
        """Change settings from JSON-ish values, all checked first: a bad one changes nothing.

        Each value must suit its field: a whole number for ``*_ms`` and the counts, a number
        for seconds and amounts (``None`` where the field allows it), ``true``/``false`` for
        the switches, text for the texts and an ``{alias: url}`` object for the callbacks.
        Times, delays, counts and amounts are never negative. Raises ``ValueError``.
        """
        self._check_names(values)
        checked = {name: _checked(name, _FIELD_KINDS[name], value) for name, value in values.items()}
        for name, value in checked.items():
            setattr(self, name, value)


def _checked(name, kind, value):
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name} cannot be null")
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty text")
        return value
    if kind == "urls":
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValueError(f"{name} must be an object of alias to URL")
        return dict(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number, 0 or more")
    if value > _LIMITS.get(kind, math.inf):
        raise ValueError(f"{name} is too large (at most {_LIMITS[kind]:g})")
    if kind == "int":
        if value != int(value):
            raise ValueError(f"{name} must be a whole number")
        return int(value)
    if kind == "amount":
        return Decimal(str(value))
    return float(value)


# What each setting takes ("?": may also be null); see EmulatorSettings.update.
_FIELD_KINDS = {
    "payment_poll_delay_ms": "int",
    "checkin_poll_delay_ms": "int",
    "refund_poll_delay_ms": "int",
    "early_poll_tolerance_ms": "int",
    "token_expires_in_s": "int",
    "idempotency_retention_s": "seconds",
    "reservation_lifetime_s": "seconds",
    "refund_auto_capture_s": "seconds",
    "refund_window_s": "seconds",
    "inactivity_timeout_s": "seconds?",
    "checkin_ttl_s": "seconds?",
    "refund_reservation_delay_s": "seconds?",
    "loyalty_lookup_delay_s": "seconds",
    "default_store_balance": "amount?",
    "strict_unknown_properties": "bool",
    "require_ibm_client_id": "bool",
    "notification_retries": "int",
    "notification_retry_delay_s": "seconds",
    "notification_timeout_s": "seconds",
    "callbacks": "urls",
    "demo_client_id": "text",
    "demo_client_secret": "text",
}
# Upper bounds that keep dates and sleeps representable (100 years; a day for a poll delay).
_LIMITS = {"int": 10**12, "seconds": 100 * 365.25 * DAY, "amount": 10**12}
