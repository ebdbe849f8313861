"""The provider seam: what the Odoo layer needs from a MobilePay backend, in neutral terms.

The Odoo models and the POS frontend only see ``PaymentState``/``RefundState``
and the snapshots below. ``MobilePayV10Provider`` (v10/provider.py) implements
it on the PoS API v10, ``EPaymentProvider`` (epayment/provider.py) on the Vipps
MobilePay ePayment API. Where the two differ, a provider says so through its
capabilities (``flows``, ``checkin_polling``, ``refunds_are_final``,
``merchant_chooses_reference``, ``one_payment_per_pos``) instead of its callers
asking which backend it is:

* a payment is started with ``create_payment(PaymentRequest)``, which answers a
  ``StartedPayment`` that may carry the payment's own QR link (ePayment one-time QR);
* a refund may be final at once (ePayment): ``get_refund`` then reports it captured,
  and ``capture_refund`` has nothing left to do;
* a check-in may arrive by webhook (``read_notification``) instead of by polling;
* the status text stored for support is the backend's own: a snapshot's ``provider_status``, or
  ``status_name(state)`` for the state one of our own calls (create, capture, cancel) reached.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Optional, Tuple


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


class PaymentFlow(str, Enum):
    """How the payment finds the customer at the till (ePayment API.md section 1)."""

    QR_ON_SCREEN = "qr_on_screen"  # v10: the PoS's check-in QR; ePayment: a one-time QR of this payment
    PHONE_NUMBER = "phone_number"  # typed by the cashier
    PERSONAL_QR = "personal_qr"  # the customer's code, scanned by the cashier
    STICKER = "sticker"  # a check-in on the till's printed QR gave a customer token


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
    migrate_v10_beacon: bool = False  # ePayment: keep the printed v10 sticker ``beacon_id`` working


@dataclass(frozen=True)
class PosRegistration:
    pos_id: str
    beacon_id: str
    qr_payload: str
    created: bool  # True when this call registered it (again)
    qr_image_url: Optional[str] = None  # ePayment: the sticker's image, made by Vipps MobilePay


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
    captured_amount: Optional[Decimal] = None  # where the backend tells (ePayment aggregate)
    refunded_amount: Optional[Decimal] = None
    capture_guaranteed_until: Optional[str] = None


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


@dataclass(frozen=True)
class ReceiptLine:
    """One order line as the customer's app shows it (ePayment ``receipt``); amounts include tax."""

    name: str
    line_id: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    tax: Decimal
    tax_percentage: int
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class PaymentRequest:
    """Everything a backend may need to start a payment; each backend uses what it knows.

    ``reference`` is the payment's id where the merchant chooses it (ePayment): new per
    attempt, stored by the caller before the call like ``idempotency_key``."""

    order_id: str
    amount: Decimal
    currency: str
    idempotency_key: str
    pos_id: Optional[str] = None
    reference: Optional[str] = None
    flow: PaymentFlow = PaymentFlow.QR_ON_SCREEN
    customer: Optional[str] = None  # phone number, scanned personal QR text or customer token
    label: Optional[str] = None
    receipt: Tuple[ReceiptLine, ...] = ()
    receipt_number: Optional[str] = None
    till_name: Optional[str] = None
    minimum_user_age: Optional[int] = None


@dataclass(frozen=True)
class StartedPayment:
    payment_id: str
    qr_url: Optional[str] = None  # a QR image made for this payment (ePayment one-time QR)


@dataclass(frozen=True)
class PaymentNotice:
    """A pushed payment event (a signal: read the payment back before money decisions)."""

    payment_id: str
    event: str
    success: bool
    idempotency_key: Optional[str] = None


@dataclass(frozen=True)
class CheckinNotice:
    """A customer scanned the sticker of PoS ``pos_id``; ``customer_token`` pays within its lifetime."""

    pos_id: str
    customer_token: str = field(repr=False)
    checked_in_at: str
    merchant_id: str


class PaymentProvider(ABC):
    """One merchant's MobilePay backend. Every create call takes a caller-stored idempotency key."""

    name = "abstract"
    flows = frozenset({PaymentFlow.QR_ON_SCREEN})
    checkin_polling = True  # False: check-ins only arrive as notifications
    refunds_are_final = False  # True: a started refund is paid out at once, no capture step
    merchant_chooses_reference = False  # True: PaymentRequest.reference is the payment id
    one_payment_per_pos = True  # the backend itself refuses a second active payment on a PoS (v10)
    payments_need_pos = True  # every payment runs on a registered PoS (v10); else only the sticker flow needs one
    has_store_lookup = True  # resolve_store finds the merchant's store (v10); else the keys choose it

    def create_payment(self, request):
        """Start a payment (a ``StartedPayment``). The default serves backends that only know
        ``start_payment``: the QR on screen is the PoS's own."""
        if request.flow not in self.flows:
            raise NotImplementedError(f"{self.name} cannot take payments by {request.flow.value}")
        payment_id = self.start_payment(
            pos_id=request.pos_id,
            order_id=request.order_id,
            amount=request.amount,
            currency=request.currency,
            idempotency_key=request.idempotency_key,
            label=request.label,
        )
        return StartedPayment(payment_id=payment_id)

    def status_name(self, state):
        """The backend's status name for ``state`` (a ``PaymentState`` or ``RefundState``) when one of our
        own calls reached it (created, captured, cancelled): stored for history and support like a
        snapshot's ``provider_status``. None: the backend has no name for it (the last one read stays)."""
        return None

    def read_notification(self, raw_body, headers, secrets_by_url):
        """A ``PaymentNotice`` or ``CheckinNotice`` from a signed push (backends that sign theirs)."""
        raise NotImplementedError(f"{self.name} does not sign its notifications")

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
    def find_payment(self, order_id, reference=None):
        """The newest payment made for our ``order_id`` that is active, reserved or captured (a snapshot),
        or None: how a payment whose create answer was lost is found without re-sending it."""

    @abstractmethod
    def capture_payment(self, payment_id, amount, idempotency_key=None, currency=None, attempt=0):
        """Capture a reserved payment (repeating the same capture is harmless); returns the payment's
        captured total when the backend tells it (else None). Backends that need an idempotency key
        derive one from the payment and ``attempt`` when none is given: the same ``attempt`` repeats
        the same request, a higher one (after a refusal the backend keeps for its key) is a new one."""

    @abstractmethod
    def cancel_payment(self, payment_id, idempotency_key=None, attempt=0):
        """Cancel a payment that is not captured (``attempt`` as for ``capture_payment``). Returns the
        payment's ``PaymentState`` after the cancel when the backend's answer tells it (a payment the
        customer rejected just before stays rejected), else None."""

    @abstractmethod
    def start_refund(self, *, payment_id, refund_order_id, amount, currency, idempotency_key):
        """Start a refund of a captured payment; returns the refund id."""

    @abstractmethod
    def get_refund(self, refund_id, payment_id=None):
        """A ``RefundSnapshot`` (``payment_id``: the refunded payment, for backends that need it)."""

    @abstractmethod
    def find_refund(self, payment_id, refund_order_id, idempotency_key=None):
        """The refund of ``payment_id`` made for our ``refund_order_id`` (a snapshot), or None."""

    @abstractmethod
    def capture_refund(self, refund_id):
        """Pay a reserved refund out to the customer."""

    @abstractmethod
    def cancel_refund(self, refund_id):
        """Cancel a refund that is not captured."""
