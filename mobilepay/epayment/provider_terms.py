"""How ePayment's words meet the seam's: amounts in minor units, phone numbers, derived idempotency keys,
references, states and status names, and webhook deliveries as notices (API.md sections 6, 13, 14)."""

import re
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from ..errors import MobilePayValidationError
from ..provider import CheckinNotice, PaymentFlow, PaymentNotice, PaymentState
from .schemas import REFERENCE_PATTERN, CheckedInEvent, State
from .webhook_events import parse_delivery

_KEY_NAMESPACE = uuid.UUID("6f1f7d52-3c7e-4a8e-9a43-5d0c1c9b2e11")
PUSH_FIELDS = {
    PaymentFlow.PHONE_NUMBER: "phone_number",
    PaymentFlow.PERSONAL_QR: "personal_qr",
    PaymentFlow.STICKER: "customer_token",
}


def minor_units(amount, currency):
    """Decimal major units -> integer minor units, refusing what cannot be paid exactly (API.md 6.1)."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise MobilePayValidationError(f"Invalid amount {amount!r}.") from None
    cents = value * 100
    if cents != cents.to_integral_value() or value < 0:
        raise MobilePayValidationError(f"{currency} {amount} cannot be paid: at most two decimals, not negative.")
    return {"currency": currency, "value": int(cents)}


def major_units(amount):
    return (Decimal(amount.value) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# Mobile numbers of the countries Vipps MobilePay serves: how many digits follow the country code, and
# the trunk prefix a number typed without its code may carry. Denmark and Norway: 8 digits. Finland:
# 7 to 10 after +358 (040 123 4567 is +358 40 123 4567); API.md 6.3 gives only the whole MSISDN's
# 10 to 15 digits, which stays the rule for every other country.
_LOCAL_NUMBERS = {"45": (8, 8, ""), "47": (8, 8, ""), "358": (7, 10, "0")}


class MobileNumberLength(NamedTuple):
    """How many digits follow ``country_code`` in a mobile number of that country."""

    country_code: str
    shortest: int
    longest: int

    def describe(self):
        digits = str(self.shortest) if self.shortest == self.longest else f"{self.shortest} to {self.longest}"
        return f"A mobile number with +{self.country_code} has {digits} digits after the country code."


def mobile_number_length(digits):
    """The length rule of a whole number (``4512345678``) by its country code; None for another country."""
    for code, (shortest, longest, _trunk) in _LOCAL_NUMBERS.items():
        if digits.startswith(code):
            return MobileNumberLength(code, shortest, longest)
    return None


def _phone_number_error(expected):
    """The refusal of a number, before any call; ``expected_length`` says the country's rule when it is one."""
    message = expected.describe() if expected else (
        "The phone number must be a mobile number with its country code, e.g. +45 12 34 56 78."
    )
    error = MobilePayValidationError(message)
    error.expected_length = expected
    return error


def msisdn(text, country_code=None):
    """A phone number as typed at the till (``+45 12 34 56 78``, ``12345678``) -> ``4512345678``.

    A number typed without its country code is read as a local number of ``country_code`` (the
    shop's country: ``"45"`` Denmark, ``"47"`` Norway, ``"358"`` Finland); a customer from another
    country has their number typed with its code (``+47 …`` at a Danish till).

    A number of a country Vipps MobilePay serves must have that country's length (``+45 123 456 789``
    is refused here, not by Vipps MobilePay after the payment was made): the ``MobilePayValidationError``
    then carries ``expected_length`` (a ``MobileNumberLength``; None for any other refusal)."""
    digits = re.sub(r"[\s().-]", "", text or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif country_code in _LOCAL_NUMBERS:
        shortest, longest, trunk = _LOCAL_NUMBERS[country_code]
        local = digits[len(trunk):] if trunk and digits.startswith(trunk) else digits
        if (not trunk or digits.startswith(trunk)) and shortest <= len(local) <= longest and local.isdigit():
            digits = country_code + local
    expected = mobile_number_length(digits) if digits.isdigit() else None
    if not re.fullmatch(r"[1-9]\d{9,14}", digits):  # a country code never starts with 0
        raise _phone_number_error(expected)
    if expected and not expected.shortest <= len(digits) - len(expected.country_code) <= expected.longest:
        raise _phone_number_error(expected)
    return digits


def derived_key(reference, action, *parts):
    """A stable Idempotency-Key (36 characters) for ``action`` on ``reference``: the same on every retry."""
    return str(uuid.uuid5(_KEY_NAMESPACE, "/".join([reference, action, *map(str, parts)])))


def attempt_parts(attempt):
    """The key parts of a later attempt: none for the first (the keys of rows made before attempts existed)."""
    return (f"attempt-{int(attempt)}",) if attempt else ()


def checked_reference(value):
    if not isinstance(value, str) or not re.fullmatch(REFERENCE_PATTERN, value):
        raise MobilePayValidationError("An ePayment reference is 8 to 50 letters, digits or dashes.")
    return value


def merchant_qr_id(merchant_pos_id):
    """A sticker id from our PoS id: URL-path-safe, at most 64 characters (API.md 11.2)."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", merchant_pos_id or "").strip("-")[:64]
    if not cleaned:
        raise MobilePayValidationError("The till needs an id made of letters, digits or dashes.")
    return cleaned


# The final states of a payment nobody approved (API.md 8.1).
_ENDED_UNAPPROVED = {
    State.ABORTED: PaymentState.CANCELLED_BY_CUSTOMER,
    State.EXPIRED: PaymentState.EXPIRED,
    State.TERMINATED: PaymentState.CANCELLED_BY_CASHIER,
}


def payment_state(payment):
    """Our state from ePayment's ``state`` + ``aggregate`` (API.md 8.3 and 13.2)."""
    agg = payment.aggregate
    if payment.state is State.CREATED:
        flow = (payment.metadata or {}).get("flow")
        if flow == PaymentFlow.QR_ON_SCREEN.value:
            return PaymentState.WAITING_FOR_CUSTOMER  # no "scanned" signal exists (API.md 15.7)
        return PaymentState.WAITING_FOR_APPROVAL  # pushed to the customer's app
    if payment.state is State.AUTHORIZED:
        if agg.captured_amount.value > 0:
            return PaymentState.CAPTURED
        if agg.cancelled_amount.value > 0:
            return PaymentState.CANCELLED_BY_CASHIER
        return PaymentState.RESERVED
    return _ENDED_UNAPPROVED[payment.state]


def state_after_cancel(answer):
    """Our state from a cancel's ModificationResponse (``state`` + ``aggregate``, no metadata)."""
    if answer.state is State.AUTHORIZED:
        if answer.aggregate.captured_amount.value > 0:
            return PaymentState.CAPTURED
        return PaymentState.CANCELLED_BY_CASHIER
    return _ENDED_UNAPPROVED.get(answer.state, PaymentState.CANCELLED_BY_CASHIER)


def provider_status(payment):
    agg = payment.aggregate
    status = payment.state.value
    if payment.state is State.AUTHORIZED:
        if agg.captured_amount.value:
            status += "/captured"
        elif agg.cancelled_amount.value:
            status += "/cancelled"
        if agg.refunded_amount.value:
            status += "/refunded"
    return status


def notice_from_delivery(raw_body, headers, secrets_by_url):
    """A ``PaymentNotice`` or ``CheckinNotice`` from a signed delivery (``WebhookRejected`` otherwise)."""
    event = parse_delivery(raw_body, headers, secrets_by_url)
    if isinstance(event, CheckedInEvent):
        return CheckinNotice(pos_id=event.merchant_qr_id, customer_token=event.customer_token,
                             checked_in_at=event.initiated_at, merchant_id=event.msn)
    return PaymentNotice(payment_id=event.reference, event=event.name.value, success=event.success,
                         idempotency_key=event.idempotency_key)


def quantity_text(value):
    text = format(Decimal(str(value)).normalize(), "f")
    if "." in text:
        whole, frac = text.split(".")
        text = f"{whole}.{frac[:8]}".rstrip("0").rstrip(".")
    return text.lstrip("-")[:10] or "0"
