"""Tunables of the Vipps MobilePay ePayment emulator (ePayment API.md, the "API.md" of this package).

Defaults follow the documented values of the test environment; the ones no source
confirms are marked [Unconfirmed] (API.md section 15) and can be changed per emulator.
``for_tests()`` shortens every real-time delay so that a test suite runs in seconds;
emulated time (payment expiry, token lifetime, capture deadlines, rate-limit windows) is moved
with ``emulator.clock.advance(seconds)`` instead. The busy answers Vipps MobilePay gives (429 rate
limits, 423 while a reference is being processed) are on in both, and so are the special test amounts
(151 insufficient funds...; special_amounts.py); the webhook chaos is off in both.
"""

import math
from dataclasses import dataclass, field
from typing import Optional

from ...emulator_kit.tunable_settings import TunableSettings

DAY = 24 * 3600

# The demo sales unit every emulator is seeded with. Public demo values of the emulator, not
# secrets: the CLI prints them, tests and demo mode use them. MSN 4-6 digits (API.md 3.1).
DEMO_CLIENT_ID = "3f2b9c71-8d4e-4a6b-b1f0-6a7c2e9d5b13"
DEMO_CLIENT_SECRET = "emulator-epayment-demo-secret"
DEMO_SUBSCRIPTION_KEY = "0f14ebcab0ec4b29ae0cb90d91b4a84a"
DEMO_MSN = "123456"
DEMO_CURRENCY = "DKK"
DEMO_MERCHANT_NAME = "Emulator Butik"

# API.md 10.4: "about every 2 s for the first four attempts, then 60 s, 120 s, hourly to attempt 29,
# then daily" for up to 7 days [D23][SK]. Delay before attempt 2, 3, ...; 35 attempts in all.
REAL_RETRY_DELAYS_S = (2.0, 2.0, 2.0, 60.0, 120.0) + (3600.0,) * 23 + (float(DAY),) * 6

CURRENCIES = ("NOK", "DKK", "EUR")


@dataclass
class EPaymentEmulatorSettings(TunableSettings):
    # Access token lifetime (expires_in): 1 hour in the test environment (API.md 2, 3.2).
    token_expires_in_s: int = 3600
    # A CREATED payment expires after 10 minutes without the customer acting (API.md 8.4).
    payment_expiry_s: float = 600.0
    # A customerToken of a check-in is valid 15 minutes (API.md 11.3).
    customer_token_ttl_s: float = 900.0
    # captureGuaranteedUntil = authorization + these days (API.md 0 "Aug 2026", 7.4: NO 180, DK/FI 14).
    capture_guarantee_days: dict = field(default_factory=lambda: {"NOK": 180, "DKK": 14, "EUR": 14})
    # Refunds within 365 days of the reservation (6220, API.md 7.6).
    refund_window_days: float = 365.0
    # Smallest payment per currency in minor units (6010, API.md 6.1).
    minimum_amounts: dict = field(default_factory=lambda: {"NOK": 100, "DKK": 1, "EUR": 1})
    # [Unconfirmed] (API.md 15, point 18) which pspReference a capture/cancel/refund answer carries:
    # "payment" (the CREATED event's, as GET payment; [SK]) or "event" (the operation's own).
    modification_psp_reference: str = "payment"
    # API.md 5 [SK]: "a request that was rejected with 4xx stays rejected for that key". False: only
    # successful answers are remembered, a rejected request can be retried with the same key.
    idempotency_remember_rejections: bool = True
    # Idempotency-Key is required on cancel in the spec, only "recommended" in [SK] (API.md 7).
    cancel_requires_idempotency_key: bool = True
    # [Unconfirmed] (API.md 15, point 16): refuse a receipt whose order lines (plus tip) do not add up
    # to the amount, or whose bottomLine.currency differs from the amount's.
    receipt_sum_check: bool = False
    # The special test amounts of the test environment (API.md 12, 7.6; special_amounts.py): approvals of
    # 151, 182-187, 197, 202 minor units refused, 201 unknown for an hour then ABORTED, refunds of 123/124 refused.
    special_amounts: bool = True
    # Rate limits, HTTP 429 with Retry-After (API.md 9; rate_limits.py), per one-minute window of the
    # emulator clock; 0 = off. Create, capture, cancel, refund: each per reference + MSN.
    rate_limit_modifications_per_minute: int = 5
    # Get payment, get event log: each per reference + subscription key.
    rate_limit_reads_per_minute: int = 120
    # 423 Locked for a create/capture/cancel/refund that arrives while another modification of the same
    # (MSN, reference) is in progress (API.md 6.5; busy.py).
    modification_lock: bool = True
    # Real milliseconds every modification holds its reference before it is processed (outside the state
    # lock: other references go on). With it, two modifications of one reference in a row meet 423.
    modification_processing_ms: float = 0.0

    # Webhooks API (API.md 10). Real registrations must use https; the emulator accepts http://127.0.0.1
    # receivers unless this is switched on.
    webhook_require_https: bool = False
    # At most this many registrations per event type per MSN (25 in 2026, 5 in the 2023 spec; API.md 0, 10.1).
    webhook_limit_per_event: int = 25
    # No answer within this many seconds counts as a failed delivery (API.md 10.4).
    webhook_timeout_s: float = 10.0
    # Real-time delays before attempt 2, 3, ...; the last one repeats (API.md 10.4).
    webhook_retry_delays_s: tuple = REAL_RETRY_DELAYS_S
    # Attempts in all before a delivery is dropped for good.
    webhook_max_attempts: int = len(REAL_RETRY_DELAYS_S) + 1
    # Send every delivery a second time after it succeeded (API.md 10.4: "the same event can arrive
    # more than once"); the same as webhook_duplicate_probability = 1.
    webhook_duplicate_deliveries: bool = False
    # Webhook chaos (delivery.py), all off by default; drawn from the emulator's faults.rng (seedable).
    # Each delivery's first attempt waits a random time in this range (real seconds): late deliveries.
    webhook_delay_s: tuple = (0.0, 0.0)
    # After a successful delivery, the same delivery again with this probability.
    webhook_duplicate_probability: float = 0.0
    # The delivery is never sent (recorded in emu.deliveries with status None and error "lost").
    webhook_loss_probability: float = 0.0
    # False: the deliveries of one payment (one sticker) are not kept in order; with webhook_delay_s they
    # overtake each other.
    webhook_keep_order: bool = True
    # The name(s) of the MSN property in user.checked-in.v1: "msn" now, "merchantSerialNumber" in the
    # 2023 docs (API.md 0, 11.3, 15 point 2). Both names: the payload carries both.
    checkin_msn_names: tuple = ("msn",)

    # Expiry is applied on every access, when the clock is advanced and by a sweeper this often
    # (real seconds), so that the EXPIRED webhook goes out even when nobody asks.
    sweep_interval_s: float = 1.0
    # Base of the links the emulator hands out (QR images, the phone page). None: the scheme and
    # host the request came in on.
    public_base_url: Optional[str] = None

    # The demo sales unit (see DEMO_*).
    demo_client_id: str = DEMO_CLIENT_ID
    demo_client_secret: str = DEMO_CLIENT_SECRET
    demo_subscription_key: str = DEMO_SUBSCRIPTION_KEY
    demo_msn: str = DEMO_MSN
    demo_currency: str = DEMO_CURRENCY
    demo_merchant_name: str = DEMO_MERCHANT_NAME

    @classmethod
    def for_tests(cls, **overrides) -> "EPaymentEmulatorSettings":
        """Short real-time delays (webhook retries and timeouts, the sweeper) for test suites. The rate limits
        and the reference lock stay on: a test that needs more raises them itself."""
        values = dict(
            webhook_timeout_s=2.0,
            webhook_retry_delays_s=(0.02, 0.05, 0.1, 0.2),
            webhook_max_attempts=6,
            sweep_interval_s=0.2,
        )
        values.update(overrides)
        return cls(**values)

    def update(self, values: dict) -> None:
        """Change settings from JSON values, all checked first: a bad one changes nothing.

        Each value must have the type of the field's default (a whole number for counts, a
        number for seconds, true/false, a text, a list for the tuples, an object for the
        per-currency maps); nothing negative. Raises ``ValueError``."""
        self._check_names(values)
        defaults = type(self)()
        checked = {name: _checked(name, getattr(defaults, name), value) for name, value in values.items()}
        for name, value in checked.items():
            if isinstance(value, dict):
                value = {**getattr(self, name), **value}  # the per-currency maps are merged
            setattr(self, name, value)


def _number(name, value, whole=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number, 0 or more")
    if value > 100 * 365.25 * DAY:
        raise ValueError(f"{name} is too large")
    if whole:
        if value != int(value):
            raise ValueError(f"{name} must be a whole number")
        return int(value)
    return float(value)


def _checked(name, default, value):
    if name == "public_base_url":
        if value is not None and not (isinstance(value, str) and value.startswith(("http://", "https://"))):
            raise ValueError("public_base_url must be null or an http(s) URL")
        return value.rstrip("/") if value else None
    if name == "modification_psp_reference":
        if value not in ("payment", "event"):
            raise ValueError("modification_psp_reference must be 'payment' or 'event'")
        return value
    if name == "webhook_delay_s":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("webhook_delay_s must be a list of two numbers: [shortest, longest]")
        low, high = (_number(name, v) for v in value)
        if low > high:
            raise ValueError("webhook_delay_s: the shortest delay must not be above the longest")
        return low, high
    if name.endswith("_probability"):
        probability = _number(name, value)
        if probability > 1:
            raise ValueError(f"{name} must be between 0 and 1")
        return probability
    if name == "checkin_msn_names":
        if not isinstance(value, list) or not value or not set(value) <= {"msn", "merchantSerialNumber"}:
            raise ValueError("checkin_msn_names must be a list of 'msn' and/or 'merchantSerialNumber'")
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, str):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty text")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{name} must be a non-empty list of numbers")
        return tuple(_number(name, v) for v in value)
    if isinstance(default, dict):
        if not isinstance(value, dict) or set(value) - set(CURRENCIES):
            raise ValueError(f"{name} must be an object keyed by {', '.join(CURRENCIES)}")
        return {k: _number(name, v, whole=True) for k, v in value.items()}
    if isinstance(default, int):
        return _number(name, value, whole=True)
    return _number(name, value)
