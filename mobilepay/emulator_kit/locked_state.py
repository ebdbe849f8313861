"""The emulated back end's memory under one re-entrant lock.

``transaction()`` takes the lock and first applies what fell due by the emulator clock
(``sweep(now)``), so every read sees an up-to-date state without a background timer.
"""

import contextlib
import threading


class LockedState:
    def __init__(self, settings, clock):
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self._clear()

    def _clear(self):
        """Forget everything (the lock is held or nobody else has the state yet)."""
        raise NotImplementedError

    def sweep(self, now):
        """Apply the time-based changes due at ``now``."""
        raise NotImplementedError

    @contextlib.contextmanager
    def transaction(self):
        """Hold the lock with every time-based change applied; yields "now"."""
        with self.lock:
            now = self.clock.now()
            self.sweep(now)
            yield now
