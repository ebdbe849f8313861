"""The special test amounts of the Vipps MobilePay test environment (API.md 12, 7.6; 15 point 13).

Amounts in minor units, whatever the currency (151 is DKK 1.51, NOK 1.51, EUR 1.51):

| amount | what the customer's approval gives |
|---|---|
| 151 | refused: insufficient funds |
| 182 | refused: refused by issuer |
| 183 | refused: suspected fraud |
| 184 | refused: withdrawal limit exceeded |
| 186 | refused: expired card |
| 187 | refused: invalid card |
| 197 | refused: 3-D Secure denied (Norway in the real test environment) |
| 202 | refused: strong customer authentication required (Norway in the real test environment) |
| 201 | taken, but the result stays unknown for one hour |

| refund of | answer |
|---|---|
| 123 | refused: cannot refund (user deleted / no receiving account) |
| 124 | refused: 6220 "Refund period expired" |

Setting ``special_amounts`` (on, as in the real test environment; ``--no-special-amounts``, ``POST
/emulator/settings {"special_amounts": false}`` or ``POST /emulator/special-amounts {"on": false}``):
off, these amounts behave like any other. Switching it off does not end a 201 payment already waiting.

The emulator's choices (API.md gives only the list):

* Every amount applies in every currency and market: 197 and 202, Norway-only in the real test
  environment, fail in DKK and EUR too.

* "The customer's approval" is every way the emulator approves: the phone page's Approve, the test
  controls ``emu.approve`` / ``POST /emulator/payments/{reference}/approve`` and ``approve-after`` (at
  its end), and force approve (``POST /epayment/v1/test/payments/{reference}/approve``). Whether
  ePayment's force approve applies the amounts is [Unconfirmed] (the 2023 page said the eCom force
  approve ignores them); the emulator applies them, so that an automated test can reach the failures.
* A failing amount: the approval is refused with a message naming the reason, e.g. "insufficient
  funds (test amount 151)" (the phone page shows it; a control answers 400 ``{"error"}`` / raises
  ControlError; force approve answers its documented failure, 400 Problem 10010 "Approve failed",
  with the reason in ``detail``). Nothing changes: the payment stays CREATED, no event, no webhook,
  as in the app, where the customer sees the failure and may try again or cancel; the merchant can
  cancel it (TERMINATED) and it expires as usual.
* 201: the approval is taken (the phone page says so, the control answers the snapshot, force
  approve answers 200 without a body) but the payment stays CREATED for one hour of the emulator
  clock (``unknownResultUntil`` in the snapshot), whatever its own expiry (``payment_expiry_s``,
  ``expiresAt``); then it ends ABORTED (event and webhook at that moment). Meanwhile the customer
  cannot approve or reject it again (refused as above); the merchant can still cancel it
  (TERMINATED; it is not ``processing``, so no 6250), and the ``expire`` test control still ends it
  at once. ABORTED at the end is the emulator's choice: the sources say only "unknown result for 1 hour".
* A refund of 123 or 124 minor units is refused after the checks every refund passes (currency
  5040, what is refundable 6150, the real refund period 6220), and remembered for its
  Idempotency-Key like any 4xx. 124: 400 with 6220 "Refund period expired". 123: 400 Problem titled
  "Refund cannot be made", without ``extraDetails``: no code is known for it [Unconfirmed], nor its
  status [Unconfirmed]. Any other refund amount is unaffected; capture and create are never affected.
"""

from datetime import timedelta

from .problems import ApiError, coded

APPROVAL_FAILURES = {
    151: "insufficient funds",
    182: "refused by issuer",
    183: "suspected fraud",
    184: "withdrawal limit exceeded",
    186: "expired card",
    187: "invalid card",
    197: "3-D Secure denied",
    202: "strong customer authentication required",
}
UNKNOWN_RESULT = 201
UNKNOWN_RESULT_FOR = timedelta(hours=1)
REFUND_FAILURES = {
    123: "cannot refund: the customer's account is deleted or has no receiving account",
    124: "the refund period has expired",
}
CANNOT_REFUND_TITLE = "Refund cannot be made"


def _on(settings) -> bool:
    return bool(settings.special_amounts)


def approval_failure(settings, amount):
    """The reason an approval of ``amount`` fails, e.g. "insufficient funds (test amount 151)"; else None."""
    reason = APPROVAL_FAILURES.get(amount) if _on(settings) else None
    return f"{reason} (test amount {amount})" if reason else None


def unknown_result_until(settings, amount, now):
    """When the result of an approval of ``amount`` taken at ``now`` becomes known (201); else None."""
    return now + UNKNOWN_RESULT_FOR if _on(settings) and amount == UNKNOWN_RESULT else None


def refund_error(settings, value):
    """The ApiError a refund of ``value`` minor units is refused with (123, 124); else None."""
    if not _on(settings) or value not in REFUND_FAILURES:
        return None
    detail = f"The refund was refused: {REFUND_FAILURES[value]} (test amount {value})"
    if value == 124:
        return coded("6220", detail)
    return ApiError(400, CANNOT_REFUND_TITLE, detail)


def to_json(settings) -> dict:
    """What ``GET /emulator/special-amounts`` shows: whether they apply, and what each does."""
    return {
        "on": _on(settings),
        "approval": {str(amount): reason for amount, reason in APPROVAL_FAILURES.items()},
        "unknownResult": {str(UNKNOWN_RESULT): int(UNKNOWN_RESULT_FOR.total_seconds())},
        "refund": {str(amount): reason for amount, reason in REFUND_FAILURES.items()},
    }
