"""Counts polls that come sooner than the pollDelayInMs last returned (API.md section 11.3).

A poll is early when the same integrator asks for the same payment, refund or
check-in again before the pollDelayInMs of the previous answer has run out
(measured on the real monotonic clock, from the moment the answer was built).
"""

import threading
import time
from collections import Counter


class PollTracker:
    def __init__(self, settings):
        self.settings = settings  # early_poll_tolerance_ms is read at every poll
        self._lock = threading.Lock()
        self._last = {}
        self.by_resource = Counter()
        self.by_integrator = Counter()
        self.total = 0
        self.polls = 0

    def arrived(self, client_id: str, kind: str, resource_id: str) -> bool:
        """Record a poll; return True if it was early."""
        now = time.monotonic()
        with self._lock:
            self.polls += 1
            last = self._last.get((client_id, kind, resource_id))
            if last is None:
                return False
            answered_at, delay_ms = last
            if (now - answered_at) * 1000.0 + self.settings.early_poll_tolerance_ms >= delay_ms:
                return False
            self.total += 1
            self.by_resource[f"{kind}:{resource_id}"] += 1
            self.by_integrator[client_id] += 1
            return True

    def answered(self, client_id: str, kind: str, resource_id: str, delay_ms: int) -> None:
        with self._lock:
            self._last[(client_id, kind, resource_id)] = (time.monotonic(), delay_ms)

    def clear(self):
        with self._lock:
            self._last.clear()
            self.by_resource.clear()
            self.by_integrator.clear()
            self.total = 0
            self.polls = 0

    def to_json(self):
        with self._lock:
            return {
                "earlyPolls": self.total,
                "polls": self.polls,
                "earlyPollsByResource": dict(self.by_resource),
                "earlyPollsByIntegrator": dict(self.by_integrator),
            }
