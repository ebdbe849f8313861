"""Fault injection: the v10 emulator's faults (``mobilepay/emulator/faults.py``) on the ePayment paths.

Kinds ``status``, ``latency`` (``latency_ms``, or drawn up to ``latency_max_ms``), ``drop_before``,
``drop_after`` (state changed, answer lost) and ``body``; ``path`` exact or an ``fnmatch`` pattern such
as ``/epayment/v1/payments/*/capture``. They apply to every path except ``/emulator/...`` and ``/phone``
(the token endpoint, the ePayment, Webhooks and QR APIs, and the QR images). Only the defaults of
``add()`` differ from the v10 class.
"""

from ...emulator.faults import KINDS, Fault, Faults

__all__ = ["EPaymentFaults", "Fault", "KINDS"]


class EPaymentFaults(Faults):
    def add(self, method="POST", path="/epayment/v1/payments", kind="status", status=None, latency_ms=0, times=1,
            probability=1.0, latency_max_ms=None, body="") -> Fault:
        return super().add(method=method, path=path, kind=kind, status=status, latency_ms=latency_ms, times=times,
                           probability=probability, latency_max_ms=latency_max_ms, body=body)
