"""Polling rules (API.md section 11.3): never poll sooner than the last ``pollDelayInMs`` allows."""

import threading
import time
from datetime import datetime, timedelta

DEFAULT_POLL_DELAY_MS = 1000


def next_poll_at(received_at, poll_delay_ms):
    """The earliest moment the same resource may be polled again (for persisted schedules)."""
    if not isinstance(received_at, datetime):
        raise TypeError("received_at must be a datetime")
    return received_at + timedelta(milliseconds=max(int(poll_delay_ms or 0), 0))


class PollGate:
    """Remembers, per polled resource, when it may next be polled, and waits until then.

    ``wait(key)`` sleeps as long as the last answer for ``key`` asked;
    ``record(key, poll_delay_ms)`` is called with every answer. Thread-safe.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock = clock
        self.sleep = sleep
        self._not_before = {}
        self._lock = threading.Lock()

    def remaining(self, key):
        """Seconds to wait before ``key`` may be polled (0 when it may be polled now)."""
        with self._lock:
            not_before = self._not_before.get(key)
        if not_before is None:
            return 0.0
        return max(0.0, not_before - self.clock())

    def wait(self, key):
        delay = self.remaining(key)
        if delay > 0:
            self.sleep(delay)
        return delay

    def record(self, key, poll_delay_ms):
        """Note an answer that just arrived: ``key`` may be polled again ``poll_delay_ms`` from now.

        API.md 11.3: wait at least pollDelayInMs after a response. A later
        moment already recorded is kept, so a shorter delay never cuts a wait.
        """
        not_before = self.clock() + max(int(poll_delay_ms or 0), 0) / 1000.0
        with self._lock:
            self._not_before[key] = max(not_before, self._not_before.get(key, 0.0))

    def forget(self, key):
        with self._lock:
            self._not_before.pop(key, None)


def wait_until(fetch, until, *, timeout, clock=time.monotonic):
    """Call ``fetch()`` until ``until(answer)`` is true or ``timeout`` seconds pass; return the last answer.

    ``fetch`` must respect the poll delay itself: the client's ``get_payment``,
    ``get_refund`` and ``get_checkin`` do, through their ``PollGate``.
    """
    deadline = clock() + timeout
    while True:
        answer = fetch()
        if until(answer) or clock() >= deadline:
            return answer
