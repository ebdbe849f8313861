"""ePayment request models and the provider's conversions, without any HTTP (ePayment API.md 6-8)."""

from decimal import Decimal

import pytest

from mobilepay.epayment import config as epayment_config
from mobilepay.epayment import environments
from mobilepay.epayment.http import check_idempotency_key
from mobilepay.epayment.provider_terms import derived_key, merchant_qr_id, minor_units, msisdn, payment_state
from mobilepay.epayment.schemas import Amount, CreatePaymentRequest, GetPaymentResponse, Problem
from mobilepay.errors import MobilePayValidationError
from mobilepay.provider import PaymentState

DKK = {"currency": "DKK", "value": 12550}


def create(**values):
    base = {"amount": DKK, "reference": "odoo-3-00042-0007-1", "user_flow": "QR"}
    return CreatePaymentRequest(**dict(base, **values))


def test_an_in_store_qr_request_has_the_documented_shape():
    body = create(qr_format={"format": "IMAGE/SVG+XML"}, payment_description="Butik Nord, kvittering 0042").to_json()
    assert body == {
        "amount": {"currency": "DKK", "value": 12550},
        "paymentMethod": {"type": "WALLET"},
        "reference": "odoo-3-00042-0007-1",
        "userFlow": "QR",
        "customerInteraction": "CUSTOMER_PRESENT",
        "qrFormat": {"format": "IMAGE/SVG+XML"},
        "paymentDescription": "Butik Nord, kvittering 0042",
    }


@pytest.mark.parametrize(
    "values",
    [
        {"reference": "short"},  # 8 to 50
        {"reference": "odoo_3_00042"},  # letters, digits, dashes only
        {"reference": "x" * 51},
        {"amount": {"currency": "DKK", "value": 125.5}},  # minor units, integers (4040)
        {"amount": {"currency": "SEK", "value": 100}},
        {"user_flow": "PUSH_MESSAGE"},  # needs a customer
        {"user_flow": "PUSH_MESSAGE", "customer": {"phoneNumber": "4512345678", "personalQr": "https://qr/x"}},
        {"user_flow": "PUSH_MESSAGE", "customer": {"phoneNumber": "+4512345678"}},
        {"customer": {"phoneNumber": "4512345678"}},  # QR addresses nobody
        {"user_flow": "PUSH_MESSAGE", "customer": {"phoneNumber": "4512345678"}, "qr_format": {"format": "IMAGE/PNG"}},
        {"qr_format": {"format": "IMAGE/PNG", "size": 50}},
        {"payment_description": "ab"},
        {"metadata": {str(i): "v" for i in range(6)}},
        {"unknown_field": 1},
        {"receipt": {"orderLines": [], "bottomLine": {"currency": "DKK"}}},
        {"receipt": {"orderLines": [{"name": "Coffee", "id": "1", "totalAmount": 1, "totalAmountExcludingTax": 1,
                                     "totalTaxAmount": 0, "taxPercentage": 0}], "bottomLine": {"currency": "EUR"}}},
    ],
)
def test_invalid_requests_are_refused_before_sending(values):
    with pytest.raises(ValueError):
        create(**values)


def test_answers_keep_unknown_fields():
    zero = {"currency": "DKK", "value": 0}
    answer = GetPaymentResponse.model_validate({
        "aggregate": {"authorizedAmount": DKK, "cancelledAmount": zero, "capturedAmount": zero,
                      "refundedAmount": zero},
        "amount": DKK, "state": "AUTHORIZED", "paymentMethod": {"type": "WALLET"}, "profile": {},
        "pspReference": "p", "reference": "odoo-3-00042-0007-1", "userDetails": {"sub": "x"},
        "captureGuaranteedUntil": "2026-12-15T10:00:00Z",
    })
    assert answer.capture_guaranteed_until == "2026-12-15T10:00:00Z"
    assert payment_state(answer) is PaymentState.RESERVED


def test_problem_codes_and_fields():
    problem = Problem.model_validate({"title": "x", "status": 400, "traceId": "t",
                                      "extraDetails": [{"name": "ErrorCode", "reason": "6080"}]})
    assert problem.code == "6080" and problem.fields() == []
    validation = Problem.model_validate({"extraDetails": [{"name": "reference", "reason": "too short"}]})
    assert validation.code is None and validation.fields() == ["reference"]


@pytest.mark.parametrize(
    "typed, country, expected",
    [("+45 12 34 56 78", None, "4512345678"), ("12345678", "45", "4512345678"), ("0045 12345678", None,
     "4512345678"), ("040 123 4567", "358", "358401234567"), ("91234567", "47", "4791234567"),
     ("4512345678", "45", "4512345678"), ("358401234567", "358", "358401234567"),
     ("+47 912 34 567", "45", "4791234567")],
)
def test_phone_numbers_as_typed_at_the_till(typed, country, expected):
    assert msisdn(typed, country) == expected


@pytest.mark.parametrize("typed", ["", "123", "+45 12 34 ab 78", "+1234567890123456"])
def test_phone_numbers_that_cannot_be_right(typed):
    with pytest.raises(MobilePayValidationError, match="country code"):
        msisdn(typed, "45")


@pytest.mark.parametrize("typed, country", [("12345678", "47"), ("12345678", "45")])
def test_a_local_number_takes_the_shops_country_not_the_currencys(typed, country):
    """An 8-digit number at a Danish shop is Danish, at a Norwegian shop Norwegian, whatever the till's
    currency; a foreign customer's number is typed with its code."""
    assert msisdn(typed, country) == country + typed
    with pytest.raises(MobilePayValidationError):
        msisdn(typed)  # no shop country: the code must be typed
    with pytest.raises(MobilePayValidationError):
        msisdn("0401234567", "45")  # a Finnish local number at a Danish shop is not made Danish


def test_minor_units_are_exact():
    assert minor_units(Decimal("125.50"), "DKK") == DKK
    assert minor_units("0.01", "EUR") == {"currency": "EUR", "value": 1}
    for bad in ("1.005", "-1", "abc"):
        with pytest.raises(MobilePayValidationError):
            minor_units(bad, "DKK")
    assert Amount(currency="DKK", value=0).value == 0


def test_derived_keys_are_stable_short_and_distinct():
    first = derived_key("odoo-3-00042-0007-1", "capture", 12550)
    assert first == derived_key("odoo-3-00042-0007-1", "capture", 12550) and len(first) <= 50
    assert first != derived_key("odoo-3-00042-0007-1", "capture", 12549)
    assert first != derived_key("odoo-3-00042-0007-2", "capture", 12550)
    check_idempotency_key(first)
    for bad in ("", "x" * 51, "new\nline", None):
        with pytest.raises(MobilePayValidationError):
            check_idempotency_key(bad)


def test_sticker_ids_are_path_safe():
    assert merchant_qr_id("Shop 1 / Till #2") == "Shop-1-Till-2"
    with pytest.raises(MobilePayValidationError):
        merchant_qr_id("///")


def test_settings_are_checked_and_the_secret_is_not_shown():
    hosts = environments.by_name("test")
    assert hosts.token_url == "https://apitest.vipps.no/accesstoken/get"
    cfg = epayment_config.EPaymentConfig(hosts=hosts, client_id="id", client_secret="TOPSECRET",
                                         subscription_key="SUBKEY", msn="123456")
    assert "TOPSECRET" not in repr(cfg) and "SUBKEY" not in repr(cfg)
    assert cfg.system_headers()["Vipps-System-Plugin-Name"] == "pos_mobilepay"
    with pytest.raises(MobilePayValidationError) as caught:
        epayment_config.EPaymentConfig(hosts=hosts, client_id="", client_secret="s", subscription_key="",
                                       msn="12", plugin_name="x" * 31)
    for part in ("client id", "subscription key", "4 to 6 digits", "plugin name"):
        assert part in str(caught.value)
    with pytest.raises(MobilePayValidationError):
        environments.by_name("emulator")
    with pytest.raises(MobilePayValidationError):
        environments.by_name("staging")
