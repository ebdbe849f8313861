"""Emulated time: the v10 emulator's clock (real UTC plus an offset tests advance), which also
tells the emulator when it moved so that what fell due (expiry, with its webhook) happens at once."""

import threading
from datetime import datetime, timezone

from ...emulator_kit.clock import Clock


class EmulatorClock(Clock):
    def __init__(self):
        super().__init__()
        self._listeners = []
        self._listeners_lock = threading.Lock()

    def on_advance(self, listener) -> None:
        with self._listeners_lock:
            self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        """Move "now" forward (see the v10 Clock), then apply what fell due (payments expire)."""
        super().advance(seconds)
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


def timestamp7(moment: datetime) -> str:
    """``2023-10-06T10:45:40.3061965Z``: UTC with 7 fractional digits, as the event log and the check-in
    event show them (API.md 7.3, 11.3)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def timestamp3(moment: datetime) -> str:
    """``2026-01-19T16:26:32.099Z``: UTC with milliseconds, as the webhook payload shows it (API.md 10.6)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
