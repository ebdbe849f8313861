"""423 Locked while a payment reference is being processed (API.md 6.5: "423 Locked (concurrent
operation, retry shortly)").

* A create, capture, cancel or refund holds its (MSN, reference) from the moment it arrives until
  its answer is made: the whole handling, including a ``latency`` fault that delays it before it is
  processed, and ``modification_processing_ms`` (real milliseconds every modification holds its
  reference before it is processed; slept outside the state lock, so other references go on).
* Another create, capture, cancel or refund of the same (MSN, reference) that arrives meanwhile is
  answered 423 (Problem, ``application/problem+json``, no numeric code): nothing is done, and the
  answer is not remembered for its Idempotency-Key (the same key goes through once the reference is
  free). A retry with the key of the request in progress is refused the same way.
* The request that arrived first holds; one refused with 423 holds nothing after its refusal. The
  MSN is the ``Merchant-Serial-Number`` header, the reference the path's (create: the body's). The
  check comes after authentication, the rate limits and the Idempotency-Key header check: a request
  refused by those is not told 423 (it holds the reference until its answer, a moment).
* Setting ``modification_lock`` (on): off, nothing is ever answered 423 (``modification_processing_ms``
  still delays).
"""

import contextlib
import json
import re
import threading
import time

from .auth import MSN_HEADER
from .problems import ApiError

CREATE_PATH = re.compile(r"^/epayment/v1/payments/?$")
MODIFICATION_PATH = re.compile(r"^/epayment/v1/payments/([^/]+)/(?:capture|cancel|refund)/?$")
ENVIRON_KEY = "mobilepay.epayment.emulator.hold"


def modification_key(request):
    """(MSN, reference) of a create, capture, cancel or refund, as the request names them; else None."""
    if request.method != "POST":
        return None
    msn = (request.headers.get(MSN_HEADER) or "").strip()
    if not msn:
        return None
    found = MODIFICATION_PATH.match(request.path)
    if found:
        return msn, found.group(1)
    if CREATE_PATH.match(request.path):
        return msn, body_reference(request.get_data())
    return None


def body_reference(raw):
    """The ``reference`` of a create body, None when it has none (or is no JSON object)."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        return None
    reference = body.get("reference") if isinstance(body, dict) else None
    return reference if isinstance(reference, str) else None


class ReferenceHolds:
    """Which requests hold which (MSN, reference), in the order they arrived. Thread-safe (its own lock:
    taken by the server threads before any state lock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holders = {}  # (msn, reference) -> [ticket, ...], the first holds

    @contextlib.contextmanager
    def held(self, environ, key):
        """Hold ``key`` for the request of ``environ`` while the block runs."""
        ticket = object()
        with self._lock:
            self._holders.setdefault(key, []).append(ticket)
        environ[ENVIRON_KEY] = (key, ticket)
        try:
            yield
        finally:
            self.release(key, ticket)

    def release(self, key, ticket):
        with self._lock:
            holders = self._holders.get(key, [])
            if ticket in holders:
                holders.remove(ticket)
            if not holders:
                self._holders.pop(key, None)

    def holds(self, key, ticket) -> bool:
        """Whether ``ticket`` is the first of ``key`` (or nobody holds ``key``)."""
        with self._lock:
            holders = self._holders.get(key)
            return not holders or holders[0] is ticket

    def __len__(self):
        with self._lock:
            return len(self._holders)


def enter(call, msn, reference):
    """Before a modification of (msn, reference) is processed: 423 when another one holds it; then hold it
    ``modification_processing_ms`` (real time, outside the state lock)."""
    settings = call.settings
    if settings.modification_lock and reference is not None:
        key = (msn, reference)
        holds = call.app.holds
        held = call.request.environ.get(ENVIRON_KEY)
        ticket = held[1] if held is not None and held[0] == key else None
        if not holds.holds(key, ticket):
            if ticket is not None:
                holds.release(key, ticket)
            raise ApiError(423, detail=f"The payment {reference} is being processed by another request: "
                                       "try again shortly")
    if settings.modification_processing_ms > 0:
        time.sleep(settings.modification_processing_ms / 1000.0)
