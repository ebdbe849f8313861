"""The emulator's notion of "now": real UTC time plus an offset that tests advance."""

import math
import threading
from datetime import datetime, timedelta, timezone

# How far tests may move the clock in all: 100 years keeps every date (and expiry) representable.
MAX_OFFSET_S = 100 * 365.25 * 24 * 3600


class Clock:
    def __init__(self):
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return datetime.now(timezone.utc) + offset

    def advance(self, seconds: float) -> None:
        """Move "now" forward; at most MAX_OFFSET_S in all, so that every date stays representable."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError("must be a number of seconds")
        if not math.isfinite(seconds):
            raise ValueError("must be a finite number of seconds")
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._offset.total_seconds() + seconds > MAX_OFFSET_S:
                raise ValueError(f"the clock can move at most {MAX_OFFSET_S:.0f} seconds (100 years) in all")
            self._offset += timedelta(seconds=seconds)

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
