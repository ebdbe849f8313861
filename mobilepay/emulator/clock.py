"""The emulator's notion of "now": real UTC time plus an offset that tests advance."""

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self):
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return datetime.now(timezone.utc) + offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)


def dotnet_timestamp(moment: datetime) -> str:
    """ISO-8601 with offset and 7 fractional digits, as .NET's DateTimeOffset writes it.

    e.g. ``2022-10-17T06:07:45.4847170+00:00``.
    """
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"
