"""The provider seam: what the Odoo layer needs from a MobilePay backend, in neutral terms.

The Odoo models and the POS frontend only see ``PaymentState``/``RefundState``
and the snapshots below. ``MobilePayV10Provider`` (provider_v10.py) implements
it on the PoS API v10; a Vipps MobilePay ePayment backend can implement the
same interface later without touching its callers.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Optional


class PaymentState(str, Enum):
    """Where a payment stands, in words a cashier understands."""

    WAITING_FOR_CUSTOMER = "waiting_for_customer"  # QR on screen, nobody checked in yet
    CHECKED_IN = "checked_in"  # a customer checked in, the amount is not issued yet
    WAITING_FOR_APPROVAL = "waiting_for_approval"  # shown in the customer's app
    RESERVED = "reserved"  # approved; the money is reserved, capture pending
    CAPTURED = "captured"  # paid
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    CANCELLED_BY_CASHIER = "cancelled_by_cashier"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"
    EXPIRED = "expired"

    @property
    def is_final(self):
        return self in _FINAL_PAYMENT_STATES

    @property
    def is_paid(self):
        return self is PaymentState.CAPTURED


_FINAL_PAYMENT_STATES = frozenset(
    {
        PaymentState.CAPTURED,
        PaymentState.CANCELLED_BY_CUSTOMER,
        PaymentState.CANCELLED_BY_CASHIER,
        PaymentState.CANCELLED_BY_PROVIDER,
        PaymentState.EXPIRED,
    }
)


class RefundState(str, Enum):
    PENDING = "pending"  # created, not reserved yet
    RESERVED = "reserved"  # ready to be captured
    CAPTURED = "captured"  # the money went back to the customer
    CANCELLED_BY_CASHIER = "cancelled_by_cashier"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"

    @property
    def is_final(self):
        return self in (RefundState.CAPTURED, RefundState.CANCELLED_BY_CASHIER, RefundState.CANCELLED_BY_PROVIDER)


@dataclass(frozen=True)
class PosSpec:
    """The PoS the merchant wants registered for one POS register."""

    merchant_pos_id: str
    name: str
    store_id: str
    beacon_id: Optional[str] = None  # None: the provider generates one
    supported_beacon_types: tuple = ("QR",)
    callback_alias: Optional[str] = None
    require_payment_before_checkin: bool = False


@dataclass(frozen=True)
class PosRegistration:
    pos_id: str
    beacon_id: str
    qr_payload: str
    created: bool  # True when this call registered it (again)


@dataclass(frozen=True)
class StoreInfo:
    store_id: str
    name: str
    brand_name: str
    address: str


@dataclass(frozen=True)
class PaymentSnapshot:
    payment_id: str
    order_id: str
    state: PaymentState
    provider_status: str  # the backend's own status name, for history and support
    amount: Optional[Decimal]
    currency: Optional[str]
    poll_delay_ms: int
    partial_capture_possible: bool = False


@dataclass(frozen=True)
class RefundSnapshot:
    refund_id: str
    payment_id: str
    state: RefundState
    provider_status: str
    amount: Decimal
    currency: str
    poll_delay_ms: int
    refund_order_id: Optional[str] = None


class PaymentProvider(ABC):
    """One merchant's MobilePay backend. Every create call takes a caller-stored idempotency key."""

    name = "abstract"

    @abstractmethod
    def test_connection(self):
        """Authenticate and read the merchant's stores; return a short human-readable summary."""

    @abstractmethod
    def resolve_store(self, merchant_brand_id, merchant_location_id):
        """The ``StoreInfo`` of a brand/location pair (raises when there is none)."""

    @abstractmethod
    def ensure_pos(self, spec, idempotency_key):
        """Find the PoS by its merchant PoS id, re-create it if missing or different; a ``PosRegistration``."""

    @abstractmethod
    def delete_pos(self, pos_id):
        """Offboard a PoS (already gone counts as done)."""

    @abstractmethod
    def is_customer_checked_in(self, pos_id):
        """Whether a customer is checked in on the PoS right now."""

    @abstractmethod
    def start_payment(self, *, pos_id, order_id, amount, currency, idempotency_key, label=None):
        """Issue a payment request; returns the provider's payment id."""

    @abstractmethod
    def get_payment(self, payment_id):
        """A ``PaymentSnapshot``."""

    @abstractmethod
    def active_payments(self, pos_id):
        """Snapshots of the PoS's payments that are not final (to recover from a lost id)."""

    @abstractmethod
    def find_payment(self, order_id):
        """The newest payment made for our ``order_id`` that is active, reserved or captured (a snapshot),
        or None: how a payment whose create answer was lost is found without re-sending it."""

    @abstractmethod
    def capture_payment(self, payment_id, amount):
        """Capture a reserved payment (repeating the same capture is harmless)."""

    @abstractmethod
    def cancel_payment(self, payment_id):
        """Cancel a payment that is not captured."""

    @abstractmethod
    def start_refund(self, *, payment_id, refund_order_id, amount, currency, idempotency_key):
        """Start a refund of a captured payment; returns the refund id."""

    @abstractmethod
    def get_refund(self, refund_id):
        """A ``RefundSnapshot``."""

    @abstractmethod
    def find_refund(self, payment_id, refund_order_id):
        """The refund of ``payment_id`` made for our ``refund_order_id`` (a snapshot), or None."""

    @abstractmethod
    def capture_refund(self, refund_id):
        """Pay a reserved refund out to the customer."""

    @abstractmethod
    def cancel_refund(self, refund_id):
        """Cancel a refund that is not captured."""
