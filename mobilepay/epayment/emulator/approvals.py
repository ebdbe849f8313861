"""A customer who takes a while to approve (``emu.approve_after``): the payment is "approving" for
some real seconds, as while the customer passes 3-D Secure, and then approved.

Meanwhile the payment is ``processing`` (its snapshot says so) and a cancel is refused with 6250
(API.md 7.5; remembered for its key like any 4xx); a capture gets 6080 as before any approval. At
the end, on a timer thread, the payment is approved as ``emu.approve`` would (a payment that is no
longer CREATED by then, e.g. rejected or expired meanwhile, is left as it is; a refusal, e.g. a
customer under ``minimumUserAge`` or a special test amount that fails such as 151, ends the approving
and leaves it CREATED; the test amount 201 ends it with the result unknown for an hour,
special_amounts.py). ``reset()`` and ``stop()`` call off the timers still waiting.
"""

import logging
import math
import threading

from . import payments
from .problems import ControlError

_logger = logging.getLogger("mobilepay.epayment.emulator")


class DelayedApprovals:
    def __init__(self, state):
        self.state = state
        self._lock = threading.Lock()
        self._timers = set()

    def start(self, reference, seconds, phone_number=None, msn=None) -> dict:
        """Hold the CREATED payment in "approving" for ``seconds`` (real time), then approve it; returns the
        snapshot (``processing`` true). ControlError for a payment that is not CREATED."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or seconds < 0:
            raise ControlError("seconds must be a number, 0 or more")
        with self.state.transaction():
            payment = self.state.find_payment(reference, msn)
            if payment.state != "CREATED":
                raise ControlError(f"payment {reference} is {payment.state}: only a CREATED payment can be approved")
            payment.processing = True
            snapshot = payment.snapshot()
        timer = None

        def fire():
            self._approve(timer, payment, phone_number)

        timer = threading.Timer(float(seconds), fire)
        timer.daemon = True
        timer.name = "epayment-emulator-approve-after"
        with self._lock:
            self._timers.add(timer)
        timer.start()
        return snapshot

    def _approve(self, timer, payment, phone_number):
        with self._lock:
            if timer not in self._timers:
                return  # called off
            self._timers.discard(timer)
        with self.state.transaction() as now:
            if self.state.payments.get((payment.msn, payment.reference)) is not payment or payment.state != "CREATED":
                return
            try:
                payments.approve(self.state, payment, phone_number, now)
            except payments.Refusal as refusal:
                payment.processing = False
                _logger.warning("approve_after(%s) refused: %s", payment.reference, refusal)

    def cancel_all(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    def __len__(self):
        with self._lock:
            return len(self._timers)
