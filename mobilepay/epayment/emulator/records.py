"""In-memory records of the emulated Vipps MobilePay back end."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from .clock import timestamp3, timestamp7

FINAL_STATES = ("AUTHORIZED", "ABORTED", "EXPIRED", "TERMINATED")


@dataclass(frozen=True)
class SalesUnitKeys:
    """What a merchant copies from the portal for one sales unit (API.md 3.1)."""

    client_id: str
    client_secret: str
    subscription_key: str
    msn: str
    currency: str


@dataclass
class SalesUnit:
    msn: str
    name: str
    currency: str
    client_id: str
    client_secret: str
    subscription_key: str
    # 5080 when False and a payment uses userFlow PUSH_MESSAGE (API.md 1).
    push_message_allowed: bool = True
    # 6140 when False and a capture is not for the whole authorized amount (API.md 7.4).
    partial_capture_allowed: bool = True

    def keys(self) -> SalesUnitKeys:
        return SalesUnitKeys(self.client_id, self.client_secret, self.subscription_key, self.msn, self.currency)


def amount_json(value, currency):
    return {"currency": currency, "value": int(value)}


@dataclass
class Event:
    """One entry of the event log (API.md 7.3); ``psp_reference`` differs for every event."""

    name: str
    amount: int
    timestamp: datetime
    psp_reference: str
    idempotency_key: Optional[str]
    success: bool = True

    def to_json(self, reference, currency):
        return {"reference": reference, "pspReference": self.psp_reference, "name": self.name,
                "amount": amount_json(self.amount, currency), "timestamp": timestamp7(self.timestamp),
                "idempotencyKey": self.idempotency_key, "success": self.success}


@dataclass
class Payment:
    msn: str
    reference: str
    psp_reference: str
    amount: int
    currency: str
    user_flow: str
    payment_method: str
    created_at: datetime
    expires_at: datetime
    create_key: Optional[str]
    token: str  # the one-time link's token (QR image, phone page, force approve)
    qr_format: Optional[str] = None
    qr_size: Optional[int] = None
    customer: Optional[str] = None  # MSISDN once known (PUSH_MESSAGE: at create; QR: at approval)
    customer_variant: Optional[str] = None  # phoneNumber / personalQr / customerToken
    merchant_qr_id: Optional[str] = None  # the sticker of the check-in behind a customerToken
    customer_token: Optional[str] = None  # the customerToken it was created with (whose scan it answers)
    description: Optional[str] = None
    receipt: Optional[dict] = None
    metadata: Optional[dict] = None
    minimum_user_age: Optional[int] = None
    customer_interaction: str = "CUSTOMER_NOT_PRESENT"
    profile_scope: Optional[str] = None
    return_url: Optional[str] = None
    redirect_url: Optional[str] = None
    target_url: Optional[str] = None  # what the one-time QR encodes: the phone page of this payment
    state: str = "CREATED"
    authorized: int = 0
    cancelled: int = 0
    captured: int = 0
    refunded: int = 0
    authorized_at: Optional[datetime] = None
    capture_guaranteed_until: Optional[datetime] = None
    processing: bool = False  # the customer is approving right now (cancel: 6250)
    # Approved with the special amount 201: CREATED until then, then ABORTED (special_amounts.py).
    unknown_result_until: Optional[datetime] = None
    events: list = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state != "CREATED"

    @property
    def uncaptured(self) -> int:
        """What is still reserved: authorized, minus captured and released."""
        return self.authorized - self.captured - self.cancelled

    def aggregate_json(self):
        c = self.currency
        return {"authorizedAmount": amount_json(self.authorized, c), "cancelledAmount": amount_json(self.cancelled, c),
                "capturedAmount": amount_json(self.captured, c), "refundedAmount": amount_json(self.refunded, c)}

    def snapshot(self):
        """Everything the emulator holds about the payment (``emu.payment(reference)``)."""
        return {
            "msn": self.msn, "reference": self.reference, "pspReference": self.psp_reference, "state": self.state,
            "amount": amount_json(self.amount, self.currency), "aggregate": self.aggregate_json(),
            "flow": self.user_flow, "paymentMethod": self.payment_method, "customer": self.customer,
            "customerVariant": self.customer_variant, "merchantQrId": self.merchant_qr_id,
            "customerToken": self.customer_token,
            "customerInteraction": self.customer_interaction, "paymentDescription": self.description,
            "receipt": self.receipt, "metadata": self.metadata, "minimumUserAge": self.minimum_user_age,
            "qrFormat": self.qr_format, "redirectUrl": self.redirect_url, "targetUrl": self.target_url,
            "token": self.token,
            "createdAt": timestamp7(self.created_at), "expiresAt": timestamp7(self.expires_at),
            "authorizedAt": timestamp7(self.authorized_at) if self.authorized_at else None,
            "captureGuaranteedUntil": timestamp3(self.capture_guaranteed_until)
            if self.capture_guaranteed_until else None,
            "processing": self.processing,
            "unknownResultUntil": timestamp7(self.unknown_result_until) if self.unknown_result_until else None,
            "events": [e.to_json(self.reference, self.currency) for e in self.events],
        }


@dataclass
class Registration:
    """A webhook registration (API.md 10.1); the secret is shown only in the 201 answer."""

    id: str
    msn: str
    url: str
    events: list
    secret: str
    created_at: datetime

    def to_json(self):
        return {"id": self.id, "url": self.url, "events": list(self.events)}


@dataclass
class CallbackQr:
    """A merchant callback QR (API.md 11), identified by (MSN, merchantQrId). ``key`` names its image
    and its phone-page link; it never changes, as the printed code does not (PUT updates only the
    description and category)."""

    msn: str
    merchant_qr_id: str
    location_description: str
    category: str
    key: str
    beacon: bool = False  # a migrated MobilePay PoS v10 sticker (API.md 11.4)
    created_at: Optional[datetime] = None

    def qr_content(self, base_url):
        if self.beacon:
            # What the printed v10 sticker encodes (API.md 13.1); the app now knows it through the migration.
            return f"mobilepaypos://pos?id={self.merchant_qr_id}&source=qr"
        return f"{base_url}/phone/scan/{self.key}"


@dataclass
class CheckIn:
    """A scan of a callback QR: the customerToken of ``user.checked-in.v1`` (API.md 11.3)."""

    customer_token: str
    msn: str
    merchant_qr_id: str
    customer: str
    initiated_at: datetime
    ttl_s: float

    @property
    def expires_at(self) -> datetime:
        return self.initiated_at + timedelta(seconds=self.ttl_s)
