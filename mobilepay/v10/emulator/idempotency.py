"""Idempotency-key store of the four create POSTs (API.md section 11.2).

[Unconfirmed] choices: keys are scoped per (client id, merchant VAT, endpoint);
the first non-5xx answer is stored and replayed for a retry with the same key and
the same request body, compared as parsed JSON; the same key with another body
gets 409 1306; entries are forgotten after the retention time (24 h).
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from .api_errors import ApiError


def body_fingerprint(raw: bytes):
    """Semantic fingerprint of a request body: canonical JSON, or the raw bytes if it is not JSON."""
    try:
        return json.dumps(json.loads(raw or b"null"), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return raw


@dataclass
class StoredAnswer:
    fingerprint: object
    status: int
    body: bytes
    content_type: str
    stored_at: datetime


class IdempotencyStore:
    """Not thread-safe by itself: used under the emulator state lock."""

    def __init__(self):
        self._answers = {}

    def lookup(self, scope: tuple, fingerprint) -> "StoredAnswer | None":
        stored = self._answers.get(scope)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise ApiError("1306")
        return stored

    def remember(self, scope: tuple, fingerprint, status: int, body: bytes, content_type: str, now: datetime):
        if status >= 500 or scope in self._answers:
            return
        self._answers[scope] = StoredAnswer(fingerprint, status, body, content_type, now)

    def purge(self, now: datetime, retention_s: float):
        limit = now - timedelta(seconds=retention_s)
        for scope in [s for s, a in self._answers.items() if a.stored_at <= limit]:
            del self._answers[scope]

    def __len__(self):
        return len(self._answers)

    def clear(self):
        self._answers.clear()
