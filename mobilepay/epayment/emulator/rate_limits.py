"""Rate limits of the ePayment API (API.md 9; the Vipps MobilePay "Rate limiting" table): HTTP 429.

| operation | limit (setting, 0 = off) | counted per |
|---|---|---|
| create, capture, cancel, refund | ``rate_limit_modifications_per_minute`` (5) | operation + ``reference`` + MSN |
| get payment, get event log | ``rate_limit_reads_per_minute`` (120) | operation + ``reference`` + subscription key |

* Each operation has its own count, as each has its own row in the table ("five capture calls per
  minute for one unique reference"); the create's reference is the one of its body.
* A sliding window of 60 s on the emulator clock (``emu.clock``): ``clock.advance(60)`` frees it.
* Counted are the requests that pass authentication and reach the limit (whatever they are then
  answered, a replay too); a request over the limit is **not** counted, so that ``Retry-After`` is
  exact: it is the whole seconds until the oldest counted request leaves the window (at least 1).
  While a limit is 0 (off), nothing is counted for it.
* The answer: 429 Problem (``application/problem+json``, no numeric code) with ``Retry-After``. It
  changes nothing and is not remembered for the request's Idempotency-Key: once the window allows,
  the same key is processed or replayed as usual.
"""

import math
from collections import deque
from datetime import timedelta

from .problems import ApiError

WINDOW = timedelta(seconds=60)
MODIFICATIONS = ("create", "capture", "cancel", "refund")
READS = ("get", "events")


class RateLimits:
    """Not thread-safe by itself: used under the emulator state lock."""

    def __init__(self):
        self._windows = {}  # (operation, holder, reference) -> deque of the moments counted

    def admit(self, key, limit, now):
        """None when the request is within ``limit`` (and then counted), else the seconds to wait."""
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - WINDOW:
            window.popleft()
        if len(window) < limit:
            window.append(now)
            return None
        return max(1, math.ceil((window[0] + WINDOW - now).total_seconds()))


def check(call, operation, holder, reference):
    """Count a request of ``operation`` on ``reference`` for ``holder`` (the MSN of a modification, the
    subscription key of a read); 429 with ``Retry-After`` when it is over the limit."""
    settings = call.settings
    limit = settings.rate_limit_modifications_per_minute if operation in MODIFICATIONS \
        else settings.rate_limit_reads_per_minute
    if not limit or reference is None:
        return
    with call.state.transaction() as now:
        wait = call.state.rate_limits.admit((operation, holder, reference), limit, now)
    if wait is not None:
        raise ApiError(429, detail=f"At most {limit} {operation} calls per minute for one reference: "
                                   f"try again in {wait} s", headers={"Retry-After": str(wait)})
