"""Idempotency of create, capture, cancel and refund (API.md 5).

* Keys are scoped per sales unit (MSN) and bound to one operation on one payment: the
  operation (create/capture/cancel/refund) and the reference (of the path, or of the create body).
* Same key, same operation and payment, same body (compared as parsed JSON; an empty body is
  ``{}``): the first answer is replayed, status and body, and nothing happens a second time
  [Unconfirmed: "whether a replay returns exactly the first response" is not documented;
  API.md 15 point 5]. A replay carries the header ``X-Emulator-Idempotent-Replay: true``.
* Same key and payment, another body: 409, code 4010 for capture, 4150 for refund, no code for
  create and cancel (API.md 5: "HTTP 409 in general").
* A key already used for another operation or another payment: 409 code 4020.
* 4xx answers are remembered too ("a request that was rejected with 4xx stays rejected for that
  key" [SK]) unless ``idempotency_remember_rejections`` is off, the answers of ``problem`` faults
  included (faults.py); 5xx answers never are, nor 429 (rate_limits.py) and 423 (busy.py): those
  refuse the request before it reaches this store. Keys are kept until ``reset()`` (API.md:
  "assume at least the lifetime of the payment").
"""

import json
from dataclasses import dataclass
from typing import Optional

from .problems import ApiError, coded

REPLAY_HEADER = "X-Emulator-Idempotent-Replay"
MAX_KEY_LENGTH = 50  # API.md 4, 5


def fingerprint(raw: bytes):
    try:
        return json.dumps(json.loads(raw or b"{}"), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return bytes(raw)


@dataclass
class StoredAnswer:
    operation: str
    target: Optional[str]
    fingerprint: object
    status: int
    body: bytes
    content_type: Optional[str]


class IdempotencyStore:
    """Not thread-safe by itself: used under the emulator state lock."""

    def __init__(self):
        self._answers = {}

    def lookup(self, msn, key, operation, target, print_) -> Optional[StoredAnswer]:
        stored = self._answers.get((msn, key))
        if stored is None:
            return None
        if stored.operation != operation or stored.target != target:
            raise coded("4020", f"The Idempotency-Key {key!r} was already used for another operation "
                                f"({stored.operation} of {stored.target or 'an invalid request'})")
        if stored.fingerprint != print_:
            if operation == "capture":
                raise coded("4010", "A capture with this Idempotency-Key was made with another body: "
                                    "a retry must repeat the first request exactly")
            if operation == "refund":
                raise ApiError(409, "Refund idempotency conflict",
                               "A refund with this Idempotency-Key was made with another body: "
                               "a retry must repeat the first request exactly", code="4150")
            raise ApiError(409, "Conflict", f"The Idempotency-Key {key!r} was used before with another request body")
        return stored

    def remember(self, msn, key, operation, target, print_, status, body, content_type, remember_rejections=True):
        if status >= 500 or (status >= 400 and not remember_rejections):
            return
        self._answers.setdefault((msn, key), StoredAnswer(operation, target, print_, status, body, content_type))

    def __len__(self):
        return len(self._answers)
