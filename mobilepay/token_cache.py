"""The process-wide cache of access tokens both API clients keep (v10 ``auth``, ePayment ``epayment.auth``).

An entry is a tuple whose first item is the token (the rest is the client's: when it expires...),
kept under a key that names the credentials. Thread-safe.
"""

import threading


class TokenCache:
    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key):
        """The entry, or None."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key, entry) -> None:
        with self._lock:
            self._entries[key] = entry

    def forget(self, key, token=None) -> None:
        """Drop the entry (only if it still holds ``token``, when given)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry and (token is None or entry[0] == token):
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
