"""In-memory records of the emulated MobilePay back end (API.md section 7)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Optional

from ..schemas import PaymentStatus, RefundStatus
from .customers import SimulatedUser


@dataclass
class Integrator:
    client_id: str
    client_secret: str


@dataclass
class Store:
    store_id: str
    merchant_vat: str
    merchant_brand_id: str
    merchant_location_id: str
    store_name: str
    store_street: str
    store_zip_code: str
    store_city: str
    brand_name: str
    activated: bool = True
    balance: Optional[Decimal] = None  # None: unlimited (1368 never fires)

    def to_json(self):
        return {
            "storeId": self.store_id,
            "storeName": self.store_name,
            "storeStreet": self.store_street,
            "storeZipCode": self.store_zip_code,
            "storeCity": self.store_city,
            "brandName": self.brand_name,
            "merchantBrandId": self.merchant_brand_id,
            "merchantLocationId": self.merchant_location_id,
        }


@dataclass
class CheckIn:
    """A customer checked in on a PoS and not yet paired with a payment."""

    user: SimulatedUser
    checked_in_at: datetime
    expires_at: Optional[datetime]


@dataclass
class PointOfSale:
    pos_id: str
    client_id: str
    merchant_vat: str
    store_id: str
    merchant_pos_id: str
    name: str
    beacon_id: str
    callback_alias: Optional[str]
    supported_beacon_types: list
    require_payment_before_checkin: bool
    created_at: datetime
    deleted_at: Optional[datetime] = None
    checkin: Optional[CheckIn] = None

    @property
    def deleted(self):
        return self.deleted_at is not None

    def to_json(self):
        return {
            "posId": self.pos_id,
            "merchantPosId": self.merchant_pos_id,
            "storeId": self.store_id,
            "name": self.name,
            "beaconId": self.beacon_id,
            "callbackAlias": self.callback_alias,
            "supportedBeaconTypes": list(self.supported_beacon_types),
            "requirePaymentBeforeCheckin": self.require_payment_before_checkin,
        }


@dataclass
class Transition:
    at: datetime
    source: Optional[str]
    target: str
    rule: str  # "P1".."P13" / "R1".."R6"
    reason: str = ""

    def to_json(self):
        return {"at": self.at.isoformat(), "from": self.source, "to": self.target, "rule": self.rule,
                "reason": self.reason}


@dataclass
class Payment:
    payment_id: str
    pos_id: str
    client_id: str
    merchant_vat: str
    order_id: str
    status: PaymentStatus
    created_at: datetime
    changed_at: datetime
    amount: Optional[Decimal] = None
    currency_code: Optional[str] = None
    planned_capture_delay: Optional[str] = None
    merchant_payment_label: Optional[str] = None
    restrictions: Optional[dict] = None
    user: Optional[SimulatedUser] = None
    user_checked_in_at: Optional[datetime] = None
    reserved_at: Optional[datetime] = None
    captured_at: Optional[datetime] = None
    captured_amount: Optional[Decimal] = None
    partial_capture_possible: bool = False
    history: list = field(default_factory=list)


@dataclass
class Refund:
    refund_id: str
    payment_id: str
    client_id: str
    merchant_vat: str
    store_id: str
    refund_order_id: str
    amount: Decimal
    currency_code: str
    status: RefundStatus
    created_at: datetime
    changed_at: datetime
    reserve_at: Optional[datetime] = None  # when R2 happens by itself
    reserved_at: Optional[datetime] = None
    history: list = field(default_factory=list)
