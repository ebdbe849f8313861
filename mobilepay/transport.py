"""HTTP transport: timeouts, retries with exponential backoff and jitter (API.md section 11.4).

Network errors and 5xx answers are retried (2 retries by default, 5 at most),
always re-sending the very same request, so a create call keeps its
idempotency key. 4xx answers are never retried. The retry machinery is
urllib3's ``Retry``, mounted on a requests session.
"""

import random
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from .errors import MobilePayTimeout, MobilePayTransportError

MAX_RETRIES_ALLOWED = 5
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# "Busy" answers that were not processed (ePayment: 423 Locked, 429 Too Many Requests): repeated too.
BUSY_STATUSES = frozenset({423, 429})


class JitterRetry(Retry):
    """urllib3 ``Retry`` whose backoff is exponential with full jitter.

    Works with urllib3 1.26 (Odoo's pin below Python 3.12) and 2.x alike.
    """

    jitter_random = random.random
    backoff_cap = 2.0  # seconds; a class attribute because urllib3 rebuilds Retry objects
    # A Retry-After is honoured up to this many seconds here; a longer wait is the caller's to
    # schedule (the error carries it): a worker never sleeps a minute inside one call.
    retry_after_cap = 1.0

    def get_backoff_time(self):
        ceiling = min(super().get_backoff_time(), self.backoff_cap)
        return ceiling * self.jitter_random() if ceiling > 0 else 0

    def get_retry_after(self, response):
        try:
            wait = super().get_retry_after(response)
        except Exception:  # noqa: BLE001 - an unreadable Retry-After is no reason to fail the call
            return None
        return None if wait is None else min(wait, self.retry_after_cap)


def retry_policy(max_retries=2, backoff_factor=0.2, retry_statuses=RETRY_STATUSES):
    if not 0 <= max_retries <= MAX_RETRIES_ALLOWED:
        raise ValueError(f"max_retries must be between 0 and {MAX_RETRIES_ALLOWED}")
    retry = JitterRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        allowed_methods=None,  # every method: creates are protected by their idempotency key
        status_forcelist=retry_statuses,
        backoff_factor=backoff_factor,
        raise_on_status=False,  # the last 5xx answer is returned and becomes a typed error
        respect_retry_after_header=True,
    )
    return retry


def make_session(max_retries=2, backoff_factor=0.2, retry_statuses=RETRY_STATUSES):
    """A requests session whose every request is retried per the MobilePay rules.

    ``retry_statuses=()`` retries network errors only (the user simulation answers a
    refused action with a 500 that must not be repeated).
    """
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy(max_retries, backoff_factor, frozenset(retry_statuses)))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def retry_after_seconds(value):
    """Seconds of a ``Retry-After`` header (a number or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, JitterRetry().parse_retry_after(str(value)))
    except Exception:  # noqa: BLE001 - urllib3 raises InvalidHeader (and older ones other errors)
        return None


def network_error(exc, what, timeout=None):
    """The typed error for a ``requests`` exception: a timeout says so, anything else could not connect."""
    reason = exc
    if isinstance(exc, requests.ConnectionError) and exc.args and isinstance(exc.args[0], MaxRetryError):
        reason = exc.args[0].reason
    # urllib3 makes NewConnectionError (refused, unreachable) a subclass of ConnectTimeoutError.
    timed_out = not isinstance(reason, NewConnectionError) and (
        isinstance(exc, requests.Timeout)
        or isinstance(reason, (ReadTimeoutError, ConnectTimeoutError, socket.timeout, TimeoutError))
    )
    if timed_out:
        after = f" within {timeout:g} s" if timeout else ""
        return MobilePayTimeout(f"MobilePay did not answer{after} ({what}); it may still have done it")
    return MobilePayTransportError(f"MobilePay could not be reached ({what}): {type(reason).__name__}")
