"""Field formats and request models: invalid input is refused before any HTTP call."""

from decimal import Decimal

import pydantic
import pytest

from mobilepay import formats
from mobilepay.v10 import formats as v10_formats
from mobilepay.v10.schemas import (
    CreatePosRequest,
    CreateRefundRequest,
    ErrorBody,
    InitiatePaymentRequest,
    Payment,
    PaymentStatus,
    RefundStatus,
)

POS_ID = "c85916b1-8e17-4275-a388-551e16aa6293"
STORE_ID = "401b5617-ae5e-4f1a-9a59-5a446dbb3caa"


@pytest.mark.parametrize(
    "value",
    ["Order-00042", "Kasse 1 ÆØÅ æøå", "a" * 36, "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~", "½ £ ¥ ©"],
)
def test_valid_text(value):
    assert formats.check_text(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("a" * 37, "at most 36"),
        ("line\nbreak", "character set"),
        ("tab\there", "character set"),
        ("emoji 🙂", "character set"),
        ("€uro", "character set"),
    ],
)
def test_invalid_text(value, reason):
    with pytest.raises(ValueError, match=reason):
        formats.check_text(value)


def test_clean_text_drops_backslash_and_invalid_characters():
    assert formats.clean_text("Shop\\Main\tRegister 🙂 #1") == "Shop Main Register #1"
    assert len(formats.clean_text("x" * 50)) == 36


@pytest.mark.parametrize("value", ["123456789012345", "CD851CD7-8398-4A03-83C1-391A2F5CB71C"])
def test_beacon_id_accepts_guid_or_15_digits(value):
    assert formats.check_beacon_id(value) == value.lower()


@pytest.mark.parametrize("value", ["12345678901234", "1234567890123456", "not-a-guid", ""])
def test_beacon_id_rejects_others(value):
    with pytest.raises(ValueError):
        formats.check_beacon_id(value)


@pytest.mark.parametrize("value", ["DK12345678", "FI90000040"])
def test_vat_number(value):
    assert v10_formats.check_vat_number(value) == value


@pytest.mark.parametrize("value", ["DK-12345678", "SE12345678", "DK1234567", "dk12345678"])
def test_vat_number_rejected(value):
    with pytest.raises(ValueError):
        v10_formats.check_vat_number(value)


@pytest.mark.parametrize(
    ("value", "expected"), [(12.5, Decimal("12.50")), ("0.01", Decimal("0.01")), (100, Decimal("100.00"))]
)
def test_amounts(value, expected):
    assert formats.to_amount(value) == expected


@pytest.mark.parametrize(
    "value", [0, -1, "0.001", "abc", float("nan"), True, None, 1e12, 1e30, "1e30", "1000000000000000019884624838656.00"]
)
def test_bad_amounts(value):
    with pytest.raises(ValueError):
        formats.to_amount(value)


def test_initiate_request_serialises_with_spec_names():
    body = InitiatePaymentRequest(
        pos_id=POS_ID.upper(), order_id="Order 7", amount="12.50", currency_code="EUR", merchant_payment_label="Shop"
    ).to_json()
    assert body == {
        "posId": POS_ID,
        "orderId": "Order 7",
        "amount": 12.5,
        "currencyCode": "EUR",
        "plannedCaptureDelay": "None",
        "merchantPaymentLabel": "Shop",
    }


def test_request_models_refuse_unknown_properties_and_report_every_field():
    with pytest.raises(pydantic.ValidationError) as caught:
        InitiatePaymentRequest.model_validate(
            {"posId": "nope", "orderId": "x" * 40, "amount": 0, "currencyCode": "SEK", "plannedCaptureDelay": "Soon",
             "tip": 1}
        )
    fields = {err["loc"][0] for err in caught.value.errors()}
    assert fields == {"posId", "orderId", "amount", "currencyCode", "plannedCaptureDelay", "tip"}


def test_create_pos_needs_unique_beacon_types():
    with pytest.raises(pydantic.ValidationError, match="unique"):
        CreatePosRequest(merchant_pos_id="p1", store_id=STORE_ID, name="n", supported_beacon_types=["QR", "QR"])
    with pytest.raises(pydantic.ValidationError):
        CreatePosRequest(merchant_pos_id="p1", store_id=STORE_ID, name="n", supported_beacon_types=[])


def test_refund_request_currency():
    with pytest.raises(pydantic.ValidationError):
        CreateRefundRequest(payment_id=POS_ID, refund_order_id="r", amount=1, currency_code="NOK")


def test_payment_answer_tolerates_unknown_properties_and_nulls():
    payment = Payment.model_validate(
        {"paymentId": POS_ID, "posId": POS_ID, "orderId": "o", "status": "Prepared", "pollDelayInMs": 1000,
         "amount": None, "somethingNew": 1}
    )
    assert payment.status is PaymentStatus.PREPARED and payment.amount is None
    assert payment.status.is_active and not payment.status.is_final


def test_state_sets():
    assert not PaymentStatus.RESERVED.is_active and not PaymentStatus.RESERVED.is_final
    assert PaymentStatus.EXPIRED_AND_CANCELLED.is_final
    assert RefundStatus.EXPIRED_AND_CAPTURED.is_final and not RefundStatus.RESERVED.is_final


def test_error_body_code_is_a_string():
    assert ErrorBody.model_validate({"code": 1301}).code == "1301"
