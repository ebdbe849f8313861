"""Pydantic models of the ePayment, Access Token, Webhooks and QR bodies (ePayment API.md sections 3, 6-11).

Requests are validated strictly before they are sent (a bad value never reaches Vipps
MobilePay); answers are read tolerantly: unknown fields are kept and ignored, because the
live API has grown since the saved specs (API.md section 0). Names follow the JSON
(camelCase) through aliases; the Python attributes are snake_case.
"""

import re
from enum import Enum
from typing import Dict, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

# reference: ^[a-zA-Z0-9-]{8,50}$ in spec 1.4.1, 8-64 since v1.7.0; we only ever send <= 50 (API.md 6.2).
REFERENCE_PATTERN = r"^[a-zA-Z0-9-]{8,50}$"
MSN_PATTERN = r"^[0-9]{4,6}$"
MSISDN_PATTERN = r"^\d{10,15}$"
MAX_IDEMPOTENCY_KEY = 50
MAX_SYSTEM_HEADER = 30
MAX_AMOUNT_VALUE = 65_000_000  # the largest amount in minor units (API.md 6.1)


class _Request(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_json(self):
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class _Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class Currency(str, Enum):
    NOK = "NOK"
    DKK = "DKK"
    EUR = "EUR"


class State(str, Enum):
    CREATED = "CREATED"
    AUTHORIZED = "AUTHORIZED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"

    @property
    def is_final(self):
        return self is not State.CREATED


class EventName(str, Enum):
    CREATED = "CREATED"
    AUTHORIZED = "AUTHORIZED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"
    CANCELLED = "CANCELLED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"

    @property
    def webhook_type(self):
        return f"epayments.payment.{self.value.lower()}.v1"


CHECKED_IN_EVENT = "user.checked-in.v1"
PAYMENT_WEBHOOK_EVENTS = tuple(name.webhook_type for name in EventName)


class UserFlow(str, Enum):
    QR = "QR"
    PUSH_MESSAGE = "PUSH_MESSAGE"
    WEB_REDIRECT = "WEB_REDIRECT"
    NATIVE_REDIRECT = "NATIVE_REDIRECT"


class QrImageFormat(str, Enum):
    SVG = "IMAGE/SVG+XML"
    PNG = "IMAGE/PNG"
    TARGET_URL = "TEXT/TARGETURL"


class Amount(BaseModel):
    """Minor units (API.md 6.1): 125.50 DKK is ``Amount(currency="DKK", value=12550)``."""

    model_config = ConfigDict(extra="allow")
    currency: Currency
    value: int = Field(ge=0, le=MAX_AMOUNT_VALUE)

    @field_validator("value", mode="before")
    @classmethod
    def _integer(cls, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("amounts are integers in minor units (4040: decimals are refused)")
        return value


class Customer(_Request):
    """Exactly one of the three ways to address the customer (API.md 7.1)."""

    phone_number: Optional[str] = Field(default=None, pattern=MSISDN_PATTERN)
    personal_qr: Optional[str] = Field(default=None, min_length=5, max_length=255)
    customer_token: Optional[str] = Field(default=None, min_length=1, max_length=512)

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [v for v in (self.phone_number, self.personal_qr, self.customer_token) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of phoneNumber, personalQr or customerToken")
        return self


class QrFormat(_Request):
    format: QrImageFormat = QrImageFormat.SVG
    size: Optional[int] = Field(default=None, ge=100, le=2000)


class PaymentMethod(_Request):
    type: Literal["WALLET", "CARD"] = "WALLET"


class UnitInfo(_Request):
    unit_price: int = Field(ge=0)
    quantity: Optional[str] = Field(default=None, pattern=r"^\d+([\.]\d{1,8})?$", max_length=10)
    quantity_unit: Optional[Literal["PCS", "KG", "KM", "MINUTE", "LITRE", "KWH"]] = None


class OrderLine(_Request):
    """Order Management ``OrderLine`` of tag 2.3.24 (API.md 7.1.2)."""

    name: str = Field(min_length=1, max_length=2048)
    id: str = Field(min_length=1, max_length=255)
    total_amount: int
    total_amount_excluding_tax: int
    total_tax_amount: int
    tax_percentage: int = Field(ge=0, le=100)
    unit_info: Optional[UnitInfo] = None
    discount: Optional[int] = Field(default=None, ge=0)
    product_url: Optional[str] = None
    is_return: Optional[bool] = None
    is_shipping: Optional[bool] = None


class PaymentSources(_Request):
    gift_card: Optional[int] = Field(default=None, ge=0)
    card: Optional[int] = Field(default=None, ge=0)
    voucher: Optional[int] = Field(default=None, ge=0)
    cash: Optional[int] = Field(default=None, ge=0)


class BottomLine(_Request):
    currency: Currency
    tip_amount: Optional[int] = Field(default=None, ge=0)
    pos_id: Optional[str] = Field(default=None, max_length=255)
    payment_sources: Optional[PaymentSources] = None
    receipt_number: Optional[str] = Field(default=None, max_length=255)


class Receipt(_Request):
    order_lines: List[OrderLine] = Field(min_length=1)
    bottom_line: BottomLine


class CreatePaymentRequest(_Request):
    amount: Amount
    payment_method: PaymentMethod = Field(default_factory=PaymentMethod)
    reference: str = Field(pattern=REFERENCE_PATTERN)
    user_flow: UserFlow
    customer: Optional[Customer] = None
    customer_interaction: Literal["CUSTOMER_PRESENT", "CUSTOMER_NOT_PRESENT"] = "CUSTOMER_PRESENT"
    qr_format: Optional[QrFormat] = None
    payment_description: Optional[str] = Field(default=None, min_length=3, max_length=100)
    return_url: Optional[str] = None
    receipt: Optional[Receipt] = None
    receipt_url: Optional[str] = None
    metadata: Optional[Dict[str, str]] = Field(default=None, max_length=5)
    minimum_user_age: Optional[int] = Field(default=None, ge=0, le=150)  # since Nov 2024 (API.md 0)

    @model_validator(mode="after")
    def _flow_rules(self):
        if self.user_flow is UserFlow.PUSH_MESSAGE and self.customer is None:
            raise ValueError("userFlow PUSH_MESSAGE needs a customer")
        if self.user_flow is UserFlow.QR and self.customer is not None:
            raise ValueError("userFlow QR addresses nobody: leave customer out")
        if self.qr_format is not None and self.user_flow is not UserFlow.QR:
            raise ValueError("qrFormat is only for userFlow QR")
        if self.user_flow is UserFlow.WEB_REDIRECT and not self.return_url:
            raise ValueError("userFlow WEB_REDIRECT needs a returnUrl")
        for key, value in (self.metadata or {}).items():
            if len(key) > 100 or len(value) > 500:
                raise ValueError("metadata keys are at most 100 and values at most 500 characters")
        if self.receipt is not None and self.receipt.bottom_line.currency != self.amount.currency:
            raise ValueError("the receipt's currency differs from the amount's")
        return self


class CreatePaymentResponse(_Answer):
    reference: str
    redirect_url: Optional[str] = None


class Aggregate(_Answer):
    authorized_amount: Amount
    cancelled_amount: Amount
    captured_amount: Amount
    refunded_amount: Amount


class PaymentMethodResponse(_Answer):
    type: str
    card_bin: Optional[str] = None


class GetPaymentResponse(_Answer):
    aggregate: Aggregate
    amount: Amount
    state: State
    payment_method: Optional[PaymentMethodResponse] = None
    psp_reference: str
    reference: str
    redirect_url: Optional[str] = None
    metadata: Optional[Dict[str, str]] = None
    capture_guaranteed_until: Optional[str] = None  # 2026 (API.md 0)


class PaymentEvent(_Answer):
    reference: str
    psp_reference: str
    name: EventName
    amount: Amount
    timestamp: str
    idempotency_key: Optional[str] = None
    success: bool


class ModificationResponse(_Answer):
    amount: Amount
    state: State
    aggregate: Aggregate
    psp_reference: str
    reference: str


class ModificationRequest(_Request):
    modification_amount: Amount


class CancelRequest(_Request):
    cancel_transaction_only: Optional[bool] = None


class ForceApproveRequest(_Request):
    customer: Optional[Customer] = None
    token: Optional[str] = None

    @model_validator(mode="after")
    def _one(self):
        if (self.customer is None) == (self.token is None):
            raise ValueError("give either customer or token")
        return self


class ProblemDetail(_Answer):
    name: Optional[str] = None
    reason: Optional[str] = None


class Problem(_Answer):
    """RFC 7807 problem body (API.md 6.5); ``extraDetails`` carries the numeric code since v1.6.0."""

    type: Optional[str] = None
    title: Optional[str] = None
    detail: Optional[str] = None
    instance: Optional[str] = None
    status: Optional[int] = None
    trace_id: Optional[str] = None
    extra_details: Optional[List[ProblemDetail]] = None
    invalid_params: Optional[List[ProblemDetail]] = None  # the QR API's variant

    @property
    def code(self):
        for detail in self.extra_details or ():
            if (detail.name or "").lower() == "errorcode" and detail.reason:
                return str(detail.reason)
        return None

    def fields(self):
        """Field names of a validation error (extraDetails without a code, or invalidParams)."""
        out = [d.name for d in (self.invalid_params or ()) if d.name]
        out += [d.name for d in (self.extra_details or ()) if d.name and d.name.lower() != "errorcode"]
        return out


class AccessToken(_Answer):
    """``POST /accesstoken/get`` (API.md 3.2): every value is a string."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    token_type: str
    access_token: str = Field(repr=False)
    expires_in: Union[str, int]

    @property
    def lifetime_seconds(self):
        return int(str(self.expires_in))


class WebhookRegistrationRequest(_Request):
    url: str = Field(min_length=1)
    events: List[str] = Field(min_length=1)

    @field_validator("events")
    @classmethod
    def _known(cls, events):
        known = set(PAYMENT_WEBHOOK_EVENTS) | {CHECKED_IN_EVENT}
        unknown = [e for e in events if e not in known]
        if unknown:
            raise ValueError("unknown webhook event types: " + ", ".join(unknown))
        return events


class WebhookRegistration(_Answer):
    id: str
    secret: str = Field(repr=False)


class Webhook(_Answer):
    id: str
    url: str
    events: List[str]


class WebhookList(_Answer):
    webhooks: List[Webhook]


class MerchantCallbackQrRequest(_Request):
    location_description: str = Field(min_length=1, max_length=36)
    category: Optional[Literal["IN_STORE", "VENDING"]] = None  # May 2024 (API.md 0)


class MerchantCallbackQr(_Answer):
    merchant_serial_number: Optional[str] = None
    merchant_qr_id: str
    location_description: Optional[str] = None
    qr_image_url: Optional[str] = None
    qr_content: Optional[str] = None


class PaymentWebhookEvent(_Answer):
    """An ``epayments.payment.*.v1`` delivery (API.md 10.6)."""

    msn: str
    reference: str
    psp_reference: str
    name: EventName
    amount: Amount
    timestamp: str
    idempotency_key: Optional[str] = None
    success: bool
    capture_guaranteed_until: Optional[str] = None


class CheckedInEvent(_Answer):
    """A ``user.checked-in.v1`` delivery (API.md 11.3); older payloads say merchantSerialNumber."""

    customer_token: str = Field(min_length=1, repr=False)
    merchant_qr_id: str = Field(min_length=1)
    msn: str
    initiated_at: str

    @model_validator(mode="before")
    @classmethod
    def _old_name(cls, data):
        if isinstance(data, dict) and "msn" not in data and "merchantSerialNumber" in data:
            data = dict(data, msn=data["merchantSerialNumber"])
        return data


MERCHANT_QR_ID_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,64}$")
