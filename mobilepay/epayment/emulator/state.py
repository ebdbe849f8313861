"""The emulated back end's memory: sales units, customers, payments, webhook registrations,
callback QRs and check-ins.

One re-entrant lock guards everything (``emulator_kit.locked_state``). ``transaction()`` takes it
and first applies what fell due by the emulator clock (payments expire after 10 minutes, API.md
8.4, with their EXPIRED webhook; stale check-ins are forgotten), so every read sees an up-to-date
state. The webhook deliveries an operation causes are only queued under the lock; they are sent
by the deliverer's own threads, never by the thread answering the API call.
"""

import secrets
import uuid
from dataclasses import dataclass, field

from ...emulator_kit.locked_state import LockedState
from . import payments
from .customers import DEMO_CUSTOMERS, Customer
from .idempotency import IdempotencyStore
from .problems import ControlError, coded
from .rate_limits import RateLimits
from .records import SalesUnit, SalesUnitKeys
from .validation import CURRENCIES, MSISDN_RE, MSN_RE


@dataclass(frozen=True)
class DemoData:
    """The seeded sales unit and customers (``emu.demo``)."""

    client_id: str
    client_secret: str
    subscription_key: str
    msn: str
    currency: str
    phone_numbers: tuple
    personal_qrs: dict
    merchant_name: str = ""
    customers: tuple = field(default=(), compare=False)  # Customer records: name, age, country

    @property
    def keys(self) -> SalesUnitKeys:
        return SalesUnitKeys(self.client_id, self.client_secret, self.subscription_key, self.msn, self.currency)

    def to_json(self):
        return {"clientId": self.client_id, "clientSecret": self.client_secret,
                "subscriptionKey": self.subscription_key, "msn": self.msn, "currency": self.currency,
                "merchantName": self.merchant_name, "phoneNumbers": list(self.phone_numbers),
                "personalQrs": dict(self.personal_qrs), "customers": [c.to_json() for c in self.customers]}


class EPaymentState(LockedState):
    def __init__(self, settings, clock):
        self.deliverer = None  # set by the emulator: queues webhook deliveries
        super().__init__(settings, clock)

    def _clear(self):
        self.sales_units = {}  # msn -> SalesUnit
        self.customers = {c.phone_number: c for c in DEMO_CUSTOMERS}
        self.payments = {}  # (msn, reference) -> Payment
        self.payment_tokens = {}  # one-time link token -> (msn, reference)
        self.idempotency = IdempotencyStore()
        self.rate_limits = RateLimits()  # the one-minute windows of API.md 9
        self.registrations = {}  # id -> Registration, in registration order
        self.callback_qrs = {}  # (msn, merchantQrId) -> CallbackQr
        self.qr_keys = {}  # CallbackQr.key -> (msn, merchantQrId)
        self.beacons = {}  # migrated v10 beaconId -> msn
        self.checkins = {}  # customerToken -> CheckIn

    def seed(self) -> DemoData:
        with self.lock:
            self._clear()
            s = self.settings
            unit = self.add_sales_unit(s.demo_msn, s.demo_currency, s.demo_merchant_name, client_id=s.demo_client_id,
                                       client_secret=s.demo_client_secret, subscription_key=s.demo_subscription_key)
            return DemoData(
                client_id=unit.client_id, client_secret=unit.client_secret, subscription_key=unit.subscription_key,
                msn=unit.msn, currency=unit.currency, merchant_name=unit.name,
                phone_numbers=tuple(c.phone_number for c in DEMO_CUSTOMERS),
                personal_qrs={c.phone_number: c.personal_qr for c in DEMO_CUSTOMERS},
                customers=DEMO_CUSTOMERS,
            )

    def sweep(self, now):
        payments.expire_due(self, now)
        for token in [t for t, c in self.checkins.items() if c.expires_at <= now]:
            del self.checkins[token]

    # ------------------------------------------------------------------ seeding

    def add_sales_unit(self, msn, currency="DKK", name=None, client_id=None, client_secret=None,
                       subscription_key=None, push_message_allowed=True, partial_capture_allowed=True) -> SalesUnit:
        if not isinstance(msn, str) or not MSN_RE.match(msn):
            raise ControlError("msn must be 4 to 6 digits")
        if currency not in CURRENCIES:
            raise ControlError(f"currency must be one of {', '.join(CURRENCIES)}")
        unit = SalesUnit(
            msn=msn, name=name or f"Sales unit {msn}", currency=currency, client_id=client_id or str(uuid.uuid4()),
            client_secret=client_secret or secrets.token_urlsafe(24),
            subscription_key=subscription_key or secrets.token_hex(16),
            push_message_allowed=bool(push_message_allowed), partial_capture_allowed=bool(partial_capture_allowed),
        )
        with self.lock:
            if msn in self.sales_units:
                raise ControlError(f"a sales unit with MSN {msn} exists already")
            if self.unit_by_client(unit.client_id) is not None:
                raise ControlError(f"client_id {unit.client_id} belongs to another sales unit")
            self.sales_units[msn] = unit
        return unit

    def add_customer(self, phone_number, name="Test Customer", age=30, country="DK") -> Customer:
        if not isinstance(phone_number, str) or not MSISDN_RE.match(phone_number):
            raise ControlError("phone_number must be an MSISDN, 10 to 15 digits")
        if isinstance(age, bool) or not isinstance(age, int) or age < 0:
            raise ControlError("age must be a whole number of years")
        customer = Customer(phone_number, str(name), age, str(country))
        with self.lock:
            self.customers[phone_number] = customer
        return customer

    # ------------------------------------------------------------------ lookups

    def unit_by_client(self, client_id):
        for unit in self.sales_units.values():
            if unit.client_id == client_id:
                return unit
        return None

    def known_subscription_key(self, key) -> bool:
        return any(unit.subscription_key == key for unit in self.sales_units.values())

    def own_payment(self, msn, reference):
        """The payment of this sales unit, else 5090 (also when another MSN has that reference; API.md 6.5)."""
        payment = self.payments.get((msn, reference))
        if payment is None:
            raise coded("5090", f"No payment with reference {reference} for this sales unit")
        return payment

    def find_payment(self, reference, msn=None):
        """For test controls: the payment with this reference (of ``msn``, or of the only MSN that has one)."""
        if msn is not None:
            found = [p for (m, r), p in self.payments.items() if m == msn and r == reference]
        else:
            found = [p for (m, r), p in self.payments.items() if r == reference]
        if not found:
            raise ControlError(f"no payment with reference {reference!r}")
        if len(found) > 1:
            raise ControlError(f"several sales units have a payment {reference!r}: name the msn")
        return found[0]

    def customer_by_personal_qr(self, text):
        for customer in self.customers.values():
            if customer.personal_qr == text:
                return customer
        return None

    def callback_qr_by_id(self, merchant_qr_id, msn=None):
        if msn is not None:
            qr = self.callback_qrs.get((msn, merchant_qr_id))
            if qr is None:
                raise ControlError(f"MSN {msn} has no merchant callback QR {merchant_qr_id!r}")
            return qr
        found = [qr for (m, i), qr in self.callback_qrs.items() if i == merchant_qr_id]
        if not found:
            raise ControlError(f"no merchant callback QR {merchant_qr_id!r}: the app says the code is unknown")
        if len(found) > 1:
            raise ControlError(f"several sales units have a callback QR {merchant_qr_id!r}: name the msn")
        return found[0]
