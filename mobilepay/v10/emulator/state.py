"""The emulated back end's memory: merchants' stores, integrators, PoSes, payments, refunds.

One re-entrant lock guards everything (``emulator_kit.locked_state``).
``transaction()`` takes it and first applies the time-based transitions that
fell due (P10, P13, R2, R6, check-in TTL, idempotency retention), so every read
sees an up-to-date state without any background timer.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ...emulator_kit.locked_state import LockedState
from .. import formats as v10_formats
from ..schemas import ACTIVE_PAYMENT_STATUSES, PaymentStatus, RefundStatus
from .api_errors import ApiError, ControlError, NotFound
from .customers import DEFAULT_TEST_USERS, SimulatedUser, normalize_phone_number
from .idempotency import IdempotencyStore
from .records import Integrator, Payment, PointOfSale, Refund, Store
from .settings import (
    DEMO_FI_MERCHANT_VAT,
    DEMO_MERCHANT_BRAND_ID,
    DEMO_MERCHANT_LOCATION_ID,
    DEMO_MERCHANT_VAT,
)
from .transitions import move_payment, move_refund

# Stable ids: the same store gets the same storeId in every emulator run.
ID_NAMESPACE = uuid.UUID("6d0b3c52-4d8e-4b7a-9a61-2f9d1f6f0e55")


def store_id_for(merchant_vat, merchant_brand_id, merchant_location_id):
    return str(uuid.uuid5(ID_NAMESPACE, f"store:{merchant_vat}:{merchant_brand_id}:{merchant_location_id}"))


def merchant_id_for(merchant_vat):
    """MobilePay's internal merchant GUID (used in the check-in notification)."""
    return str(uuid.uuid5(ID_NAMESPACE, f"merchant:{merchant_vat}"))


@dataclass(frozen=True)
class DemoData:
    client_id: str
    client_secret: str
    merchant_vat: str
    store_id: str
    merchant_brand_id: str
    merchant_location_id: str
    fi_merchant_vat: str
    fi_store_id: str


@dataclass(frozen=True)
class RequestContext:
    """Who is calling: the token's client id and the merchant the call acts for."""

    client_id: str
    merchant_vat: str
    correlation_id: str


class EmulatorState(LockedState):
    def __init__(self, settings, clock):
        self.on_checkin = None  # callable(pos, store): fires the section 13 notification
        super().__init__(settings, clock)

    # ------------------------------------------------------------------ lifecycle

    def _clear(self):
        self.integrators = {}
        self.stores = {}
        self.points_of_sale = {}
        self.payments = {}
        self.refunds = {}
        self.idempotency = IdempotencyStore()
        self.test_users = {u.phone_number: u for u in DEFAULT_TEST_USERS}

    def seed(self) -> DemoData:
        """Fill in the demo integrator and the self-certification stores (API.md section 14)."""
        with self.lock:
            self._clear()
            s = self.settings
            self.add_integrator(s.demo_client_id, s.demo_client_secret)
            dk_store = self.add_store(
                DEMO_MERCHANT_VAT, DEMO_MERCHANT_BRAND_ID, DEMO_MERCHANT_LOCATION_ID,
                name="Emulator Store DK", street="Strandvejen 70", zip_code="2900",
                city="Hellerup", brand_name="Emulator Brand",
            )
            fi_store = self.add_store(
                DEMO_FI_MERCHANT_VAT, DEMO_MERCHANT_BRAND_ID, DEMO_MERCHANT_LOCATION_ID,
                name="Emulator Store FI", street="Keskuskatu 4", zip_code="00100",
                city="Helsinki", brand_name="Emulator Brand",
            )
            return DemoData(
                client_id=s.demo_client_id,
                client_secret=s.demo_client_secret,
                merchant_vat=DEMO_MERCHANT_VAT,
                store_id=dk_store,
                merchant_brand_id=DEMO_MERCHANT_BRAND_ID,
                merchant_location_id=DEMO_MERCHANT_LOCATION_ID,
                fi_merchant_vat=DEMO_FI_MERCHANT_VAT,
                fi_store_id=fi_store,
            )

    # ------------------------------------------------------------------ seeding helpers

    def add_integrator(self, client_id, client_secret):
        if not client_id or not client_secret:
            raise ControlError("client_id and client_secret are required")
        with self.lock:
            self.integrators[client_id] = Integrator(client_id, client_secret)

    def add_store(self, merchant_vat, merchant_brand_id, merchant_location_id, name="Emulator Store",
                  activated=True, balance=None, street="Main Street 1", zip_code="1000", city="Copenhagen",
                  brand_name="Emulator Brand"):
        try:
            v10_formats.check_vat_number(merchant_vat)
            v10_formats.check_merchant_brand_id(merchant_brand_id)
            v10_formats.check_merchant_location_id(merchant_location_id)
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        store_id = store_id_for(merchant_vat, merchant_brand_id, merchant_location_id)
        if balance is None:
            balance = self.settings.default_store_balance
        with self.lock:
            if store_id in self.stores:
                raise ControlError(f"store {merchant_brand_id}/{merchant_location_id} of {merchant_vat} exists")
            self.stores[store_id] = Store(
                store_id=store_id, merchant_vat=merchant_vat, merchant_brand_id=merchant_brand_id,
                merchant_location_id=merchant_location_id, store_name=name, store_street=street,
                store_zip_code=zip_code, store_city=city, brand_name=brand_name, activated=activated,
                balance=None if balance is None else Decimal(str(balance)),
            )
        return store_id

    def set_store_balance(self, store_id, balance):
        with self.lock:
            store = self.stores.get(store_id)
            if store is None:
                raise ControlError(f"no store {store_id}")
            store.balance = None if balance is None else Decimal(str(balance))

    def set_store_activated(self, store_id, activated=True):
        with self.lock:
            store = self.stores.get(store_id)
            if store is None:
                raise ControlError(f"no store {store_id}")
            store.activated = bool(activated)

    def add_test_user(self, phone_number, card="Credit", loyalty_ids=(), partial_capture=False,
                      reservation_fails=False, label=""):
        if card not in ("Credit", "Debit"):
            raise ControlError("card must be 'Credit' or 'Debit'")
        user = SimulatedUser(normalize_phone_number(phone_number), card=card, loyalty_ids=tuple(loyalty_ids),
                             partial_capture=bool(partial_capture), reservation_fails=bool(reservation_fails),
                             label=label)
        with self.lock:
            self.test_users[user.phone_number] = user
        return user

    # ------------------------------------------------------------------ time-based transitions

    def sweep(self, now):
        s = self.settings
        for payment in self.payments.values():
            if payment.status == PaymentStatus.RESERVED:
                expires = payment.reserved_at + timedelta(seconds=s.reservation_lifetime_s)
                if expires <= now:
                    move_payment(payment, "P10", expires, "reservation lifetime ran out")
            elif payment.status in ACTIVE_PAYMENT_STATUSES and s.inactivity_timeout_s is not None:
                expires = payment.changed_at + timedelta(seconds=s.inactivity_timeout_s)
                if expires <= now:
                    move_payment(payment, "P13", expires, "inactivity timeout")
        for refund in self.refunds.values():
            if refund.status == RefundStatus.INITIATED and refund.reserve_at is not None and refund.reserve_at <= now:
                move_refund(refund, "R2", refund.reserve_at)
                refund.reserved_at = refund.reserve_at
            if refund.status == RefundStatus.RESERVED:
                expires = refund.reserved_at + timedelta(seconds=s.refund_auto_capture_s)
                if expires <= now:
                    move_refund(refund, "R6", expires, "not captured or cancelled in time")
        for pos in self.points_of_sale.values():
            if pos.checkin is not None and pos.checkin.expires_at is not None and pos.checkin.expires_at <= now:
                pos.checkin = None
        self.idempotency.purge(now, s.idempotency_retention_s)

    # ------------------------------------------------------------------ lookups with ownership checks

    def merchant_stores(self, merchant_vat):
        return [st for st in self.stores.values() if st.merchant_vat == merchant_vat]

    def own_pos(self, ctx: RequestContext, pos_id, other_merchant_code="1410") -> PointOfSale:
        pos = self.points_of_sale.get(_lower(pos_id))
        if pos is None or pos.deleted:
            raise NotFound("Point of sale not found")
        if pos.client_id != ctx.client_id:
            raise ApiError("1400")
        if pos.merchant_vat != ctx.merchant_vat:
            raise ApiError(other_merchant_code)
        return pos

    def own_payment(self, ctx: RequestContext, payment_id, other_merchant_code="1411") -> Payment:
        payment = self.payments.get(_lower(payment_id))
        if payment is None:
            raise NotFound("Payment not found")
        if payment.client_id != ctx.client_id:
            raise ApiError("1401")
        if payment.merchant_vat != ctx.merchant_vat:
            raise ApiError(other_merchant_code)
        return payment

    def own_refund(self, ctx: RequestContext, refund_id, not_found_code=None) -> Refund:
        refund = self.refunds.get(_lower(refund_id))
        if refund is None:
            raise NotFound("Refund not found", code=not_found_code)
        # There is no "other merchant" code for refunds: 1402 covers both.
        if refund.client_id != ctx.client_id or refund.merchant_vat != ctx.merchant_vat:
            raise ApiError("1402")
        return refund

    def active_payment(self, pos: PointOfSale):
        for payment in reversed(self.payments.values()):
            if payment.pos_id == pos.pos_id and payment.status in ACTIVE_PAYMENT_STATUSES:
                return payment
        return None

    def latest_payment(self, pos: PointOfSale):
        for payment in reversed(self.payments.values()):
            if payment.pos_id == pos.pos_id:
                return payment
        return None

    def pos_by_beacon(self, beacon_id):
        wanted = _lower(beacon_id)
        for pos in self.points_of_sale.values():
            if not pos.deleted and pos.beacon_id == wanted:
                return pos
        return None

    def payment(self, payment_id) -> Payment:
        payment = self.payments.get(_lower(payment_id))
        if payment is None:
            raise ControlError(f"no payment {payment_id}")
        return payment

    def refund(self, refund_id) -> Refund:
        refund = self.refunds.get(_lower(refund_id))
        if refund is None:
            raise ControlError(f"no refund {refund_id}")
        return refund


def _lower(value):
    return value.lower() if isinstance(value, str) else value
