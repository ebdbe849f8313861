"""pydantic models of every MobilePay PoS v10 request and response body.

Names, enums and formats follow ``pos.yaml`` (the original OpenAPI document).
Python attributes are snake_case; the JSON names are the spec's camelCase
aliases. Request models forbid unknown properties (every spec schema says
``additionalProperties: false``); response models ignore them so that a
harmless addition on the server never breaks a payment.
"""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .. import formats

# --------------------------------------------------------------------------- enums


class CurrencyCode(str, Enum):
    DKK = "DKK"
    EUR = "EUR"


class PlannedCaptureDelay(str, Enum):
    NONE = "None"
    LESS_THAN_24_HOURS = "LessThan24Hours"
    LESS_THAN_14_DAYS = "LessThan14Days"


class BeaconType(str, Enum):
    QR = "QR"
    NFC = "NFC"
    BLUETOOTH = "Bluetooth"


class PaymentStatus(str, Enum):
    PREPARED = "Prepared"
    INITIATED = "Initiated"
    PAIRED = "Paired"
    ISSUED_TO_USER = "IssuedToUser"
    RESERVED = "Reserved"
    CANCELLED_BY_USER = "CancelledByUser"
    CANCELLED_BY_CLIENT = "CancelledByClient"
    CANCELLED_BY_MOBILEPAY = "CancelledByMobilePay"
    EXPIRED_AND_CANCELLED = "ExpiredAndCancelled"
    CAPTURED = "Captured"

    @property
    def is_active(self):
        """Active payments block a new payment on the same PoS (error 1301)."""
        return self in ACTIVE_PAYMENT_STATUSES

    @property
    def is_final(self):
        return self in FINAL_PAYMENT_STATUSES


ACTIVE_PAYMENT_STATUSES = frozenset(
    {PaymentStatus.PREPARED, PaymentStatus.INITIATED, PaymentStatus.PAIRED, PaymentStatus.ISSUED_TO_USER}
)
FINAL_PAYMENT_STATUSES = frozenset(
    {
        PaymentStatus.CAPTURED,
        PaymentStatus.CANCELLED_BY_USER,
        PaymentStatus.CANCELLED_BY_CLIENT,
        PaymentStatus.CANCELLED_BY_MOBILEPAY,
        PaymentStatus.EXPIRED_AND_CANCELLED,
    }
)


class RefundStatus(str, Enum):
    INITIATED = "Initiated"
    RESERVED = "Reserved"
    CAPTURED = "Captured"
    CANCELLED_BY_CLIENT = "CancelledByClient"
    CANCELLED_BY_MOBILEPAY = "CancelledByMobilePay"
    EXPIRED_AND_CAPTURED = "ExpiredAndCaptured"

    @property
    def is_final(self):
        return self in FINAL_REFUND_STATUSES


FINAL_REFUND_STATUSES = frozenset(
    {
        RefundStatus.CAPTURED,
        RefundStatus.CANCELLED_BY_CLIENT,
        RefundStatus.CANCELLED_BY_MOBILEPAY,
        RefundStatus.EXPIRED_AND_CAPTURED,
    }
)

# --------------------------------------------------------------------------- field types

Text36 = Annotated[str, AfterValidator(formats.check_text)]
Guid = Annotated[str, AfterValidator(formats.check_guid)]
BeaconId = Annotated[str, AfterValidator(formats.check_beacon_id)]
# Amounts are exact decimals in Python and JSON numbers on the wire.
Amount = Annotated[
    Decimal,
    BeforeValidator(formats.to_amount),
    PlainSerializer(float, return_type=float, when_used="json"),
]
IdempotencyKey = Annotated[str, AfterValidator(formats.check_text)]
# Amounts read from a response: kept exact, written back as JSON numbers.
AnswerAmount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _Body(BaseModel):
    """Request body: spec names on the wire, unknown properties refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, use_enum_values=False
    )

    def to_json(self):
        """The JSON object sent on the wire (unset optional properties left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class _Answer(BaseModel):
    """Response body: spec names on the wire, unknown properties ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def to_json(self):
        return self.model_dump(mode="json", by_alias=True)


# --------------------------------------------------------------------------- shared


class PaymentRestrictions(_Body):
    debit_card_disallowed: Optional[bool] = None
    credit_card_disallowed: Optional[bool] = None


class ErrorBody(_Answer):
    """ErrorResponse / ErrorResponseV2 (refund endpoints add ``origin``)."""

    code: Optional[str] = None
    message: Optional[str] = None
    correlation_id: Optional[str] = None
    origin: Optional[str] = None

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_string(cls, value):
        return None if value is None else str(value)


# --------------------------------------------------------------------------- stores


class StoreIds(_Answer):
    store_ids: list[str]


class Store(_Answer):
    store_id: str
    store_name: str
    store_street: str
    store_zip_code: str
    store_city: str
    brand_name: str
    merchant_brand_id: str
    merchant_location_id: str


class StoreList(RootModel[list[Store]]):
    """The answer of GET /stores/detailed: a list of stores."""


# --------------------------------------------------------------------------- points of sale


class CreatePosRequest(_Body):
    merchant_pos_id: Text36
    store_id: Guid
    name: Text36
    beacon_id: Optional[BeaconId] = None
    callback_alias: Optional[Text36] = None
    supported_beacon_types: list[BeaconType] = Field(min_length=1)
    require_payment_before_checkin: bool = False

    @field_validator("supported_beacon_types")
    @classmethod
    def _unique_types(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("beacon types must be unique")
        return value


class PosCreated(_Answer):
    pos_id: str


class PosIds(_Answer):
    pos_ids: list[str]


class PointOfSale(_Answer):
    pos_id: str
    merchant_pos_id: str
    store_id: str
    name: str
    beacon_id: str
    callback_alias: Optional[str] = None
    supported_beacon_types: list[BeaconType]
    require_payment_before_checkin: bool


class CheckIn(_Answer):
    is_user_checked_in: bool
    poll_delay_in_ms: int
    loyalty_ids: Optional[list[str]] = None
    customer_token: Optional[str] = None
    customer_receipt_token: Optional[str] = None


# --------------------------------------------------------------------------- payments


class InitiatePaymentRequest(_Body):
    pos_id: Guid
    order_id: Text36
    amount: Amount
    currency_code: CurrencyCode
    planned_capture_delay: PlannedCaptureDelay = PlannedCaptureDelay.NONE
    merchant_payment_label: Optional[Text36] = None
    restrictions: Optional[PaymentRestrictions] = None


class PreparePaymentRequest(_Body):
    pos_id: Guid
    order_id: Text36


class PaymentReadyRequest(_Body):
    amount: Amount
    currency_code: CurrencyCode
    planned_capture_delay: PlannedCaptureDelay = PlannedCaptureDelay.NONE
    merchant_payment_label: Optional[Text36] = None
    restrictions: Optional[PaymentRestrictions] = None


class CapturePaymentRequest(_Body):
    amount: Amount


class PaymentCreated(_Answer):
    payment_id: str


class PaymentIds(_Answer):
    payment_ids: list[str]


class Payment(_Answer):
    """QueryPaymentResponse: the polled state of one payment."""

    payment_id: str
    pos_id: str
    order_id: str
    status: PaymentStatus
    poll_delay_in_ms: int
    amount: Optional[AnswerAmount] = None
    currency_code: Optional[CurrencyCode] = None
    restrictions: Optional[PaymentRestrictions] = None
    merchant_payment_label: Optional[str] = None
    planned_capture_delay: Optional[PlannedCaptureDelay] = None
    customer_token: Optional[str] = None
    customer_receipt_token: Optional[str] = None
    loyalty_ids: Optional[list[str]] = None
    payment_expires_at: Optional[str] = None
    partial_capture_possible: Optional[bool] = None


# --------------------------------------------------------------------------- refunds


class CreateRefundRequest(_Body):
    payment_id: Guid
    refund_order_id: Text36
    amount: Amount
    currency_code: CurrencyCode


class RefundCreated(_Answer):
    refund_id: str


class RefundIds(_Answer):
    refund_ids: list[str]


class Refund(_Answer):
    refund_id: str
    payment_id: str
    refund_order_id: str
    amount: AnswerAmount
    currency_code: CurrencyCode
    status: RefundStatus
    poll_delay_in_ms: int


# --------------------------------------------------------------------------- user simulation (sandbox)


class UserCheckInRequest(_Body):
    beacon_id: BeaconId
    phone_number: str = Field(min_length=1, max_length=20)


class AcceptPaymentRequest(_Body):
    beacon_id: BeaconId
    phone_number: str = Field(min_length=1, max_length=20)


class CancelPaymentByUserRequest(_Body):
    beacon_id: BeaconId


# --------------------------------------------------------------------------- integrator authentication


class AccessToken(BaseModel):
    """The token endpoint's answer (OAuth2 names, snake_case on the wire)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str
    expires_in: int
    token_type: str = "Bearer"
    scope: Optional[str] = None
