"""A phone number with the wrong length for its country is refused before any call (issue "Merchant-ready":
``+45 123 456 789`` used to reach Vipps MobilePay and end in its 7010 "customer not found")."""

import pytest

from mobilepay.epayment.provider_terms import MobileNumberLength, mobile_number_length, msisdn
from mobilepay.errors import MobilePayValidationError


@pytest.mark.parametrize(
    "typed, country, code, digits",
    [
        ("+45 123 456 789", None, "45", "8"),  # nine digits after +45
        ("+45 1234 567", "45", "45", "8"),  # seven
        ("0045 123456789", "45", "45", "8"),
        ("45123456789", "45", "45", "8"),  # typed without the +, still a Danish number
        ("+47 123 456 789", None, "47", "8"),
        ("+47 1234567", "47", "47", "8"),
        ("+358 40 123 456 789", None, "358", "7 to 10"),  # eleven after +358
        ("+358 123 45", "358", "358", "7 to 10"),  # five: too short for any number
    ],
)
def test_a_number_of_the_wrong_length_for_its_country_is_refused(typed, country, code, digits):
    with pytest.raises(MobilePayValidationError) as refused:
        msisdn(typed, country)
    expected = refused.value.expected_length
    assert isinstance(expected, MobileNumberLength) and expected.country_code == code
    assert f"+{code} has {digits} digits" in str(refused.value)


@pytest.mark.parametrize(
    "typed, country, expected",
    [
        ("+45 12 34 56 78", None, "4512345678"),
        ("12 34 56 78", "45", "4512345678"),
        ("+47 912 34 567", "45", "4791234567"),
        ("+358 40 123 4567", None, "358401234567"),  # nine after +358
        ("040 123 4567", "358", "358401234567"),
        ("+358 4012345", None, "3584012345"),  # seven after +358, the shortest
        ("+358 457 123 4567", None, "3584571234567"),  # ten, the longest
        ("+46 70 123 45 67", "45", "46701234567"),  # another country: the MSISDN's 10 to 15 digits
    ],
)
def test_a_number_of_the_right_length_is_taken(typed, country, expected):
    assert msisdn(typed, country) == expected


@pytest.mark.parametrize("typed", ["", "123", "+45 12 34 ab 78", "+1234567890123456", "+46 123"])
def test_other_refusals_name_no_country_rule(typed):
    with pytest.raises(MobilePayValidationError, match="country code") as refused:
        msisdn(typed, "45")
    assert refused.value.expected_length is None


def test_the_length_rules():
    assert mobile_number_length("4512345678") == MobileNumberLength("45", 8, 8)
    assert mobile_number_length("4791234567") == MobileNumberLength("47", 8, 8)
    assert mobile_number_length("358401234567") == MobileNumberLength("358", 7, 10)
    assert mobile_number_length("46701234567") is None
    assert MobileNumberLength("45", 8, 8).describe() == "A mobile number with +45 has 8 digits after the country code."
