"""Fault injection: the v10 emulator's faults (``mobilepay/emulator_kit/faults.py``) on the ePayment paths.

Kinds ``status``, ``latency`` (``latency_ms``, or drawn up to ``latency_max_ms``), ``drop_before``,
``drop_after`` (state changed, answer lost) and ``body``; ``path`` exact or an ``fnmatch`` pattern such
as ``/epayment/v1/payments/*/capture``. They apply to every path except ``/emulator/...`` and ``/phone``
(the token endpoint, the ePayment, Webhooks and QR APIs, and the QR images).

One more kind here, ``problem``: the API itself refuses the request, as Vipps MobilePay documents it
does (API.md 6.5), with ``status`` and ``code``, e.g. 6160 "order processing", 6260 / 6280 on
capture, 6250 on cancel. The answer is the Problem body of the emulator's own coded errors
(``extraDetails [{"name": "ErrorCode", "reason": code}]``; without a code, none), nothing is done,
and on create, capture, cancel and refund the answer is remembered for the request's
Idempotency-Key like any other 4xx of the API (API.md 5: "a request that was rejected with 4xx
stays rejected for that key"; setting ``idempotency_remember_rejections``): the same key replays
it, only a new key gets through. It is
answered after authentication, the rate limits and the reference lock, once the key is known not
to be a replay (a request whose key replays an earlier answer gets that answer; the fault's shot
is spent on it). On other paths it is answered before anything is looked at, like ``status``.
``status`` defaults to the code's own (``problems.ERROR_CODES``), else 400. A status-only
refusal that is not remembered (a busy gateway) is a ``status`` fault.
"""

from ...emulator_kit.faults import KINDS, Fault, Faults
from .problems import ERROR_CODES, ApiError, coded

__all__ = ["EPaymentFaults", "Fault", "KINDS", "EPAYMENT_KINDS"]

EPAYMENT_KINDS = KINDS + ("problem",)


class EPaymentFaults(Faults):
    kinds = EPAYMENT_KINDS
    coded_kinds = ("problem",)
    example_code = "6160"

    def add(self, method="POST", path="/epayment/v1/payments", kind="status", status=None, latency_ms=0, times=1,
            probability=1.0, latency_max_ms=None, body="", code=None) -> Fault:
        if kind == "problem":
            if status is None:
                status = ERROR_CODES.get(str(code), (400, None))[0]
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise ValueError("a problem fault's status must be 400 to 599")
        return super().add(method=method, path=path, kind=kind, status=status, latency_ms=latency_ms, times=times,
                           probability=probability, latency_max_ms=latency_max_ms, body=body, code=code)


def problem_error(fault) -> ApiError:
    """The ApiError a ``problem`` fault answers with: the code's title and status, as the API words it."""
    if fault.code in ERROR_CODES:
        return coded(fault.code, status=fault.status)
    return ApiError(fault.status, code=fault.code)
