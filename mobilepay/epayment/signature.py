"""Webhook signatures of the Vipps MobilePay Webhooks API (ePayment API.md section 10.5).

A delivery is signed with HMAC-SHA256 over ``POST\\n{pathAndQuery}\\n{x-ms-date};{host};{x-ms-content-sha256}``
with the registration's secret used as UTF-8 text. ``sign`` makes the headers (the
emulator signs its deliveries with it); ``verify`` checks a received delivery against
the *registered* URL, so a reverse proxy that rewrites Host or the path does not matter.
"""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

AUTHORIZATION_PREFIX = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
# Retries may carry the date of the first attempt (API.md 15, point 10): accept old dates for
# as long as deliveries are retried (7 days) and only a little clock skew into the future.
DEFAULT_MAX_AGE = timedelta(days=7, hours=1)
DEFAULT_MAX_FUTURE = timedelta(minutes=15)


class SignatureError(ValueError):
    """A webhook delivery whose signature, content hash or date does not hold."""


def content_hash(raw_body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(raw_body).digest()).decode("ascii")


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _host(parts):
    """The Host a client sends for these URL parts: lower case, without the scheme's default port."""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"not a valid port in {parts.geturl()!r}") from None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def normalized_url(url):
    """``url`` as Vipps MobilePay will call it and sign it: scheme and host in lower case, no default
    port (``https://Shop.example:443/`` -> ``https://shop.example``), no trailing slash."""
    parts = urlsplit((url or "").strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    base = f"{parts.scheme.lower()}://{_host(parts)}{parts.path.rstrip('/')}"
    return base + (f"?{parts.query}" if parts.query else "")


def _target(registered_url):
    parts = urlsplit(registered_url)
    if not parts.netloc:
        raise ValueError(f"not an absolute URL: {registered_url!r}")
    path_and_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return path_and_query, _host(parts)


def string_to_sign(registered_url: str, ms_date: str, body_hash: str) -> str:
    path_and_query, host = _target(registered_url)
    return f"POST\n{path_and_query}\n{ms_date};{host};{body_hash}"


def signature(secret: str, registered_url: str, ms_date: str, body_hash: str) -> str:
    message = string_to_sign(registered_url, ms_date, body_hash).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def http_date(moment: datetime) -> str:
    """RFC 1123 date as in ``x-ms-date`` (``Thu, 30 Mar 2023 08:38:32 GMT``)."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def sign(secret: str, registered_url: str, raw_body: bytes, moment: datetime = None) -> dict:
    """The headers Vipps MobilePay sends with a delivery of ``raw_body`` to ``registered_url``."""
    ms_date = http_date(moment or datetime.now(timezone.utc))
    body_hash = content_hash(raw_body)
    return {
        "x-ms-date": ms_date,
        "x-ms-content-sha256": body_hash,
        "Authorization": AUTHORIZATION_PREFIX + signature(secret, registered_url, ms_date, body_hash),
        "Host": _target(registered_url)[1],
    }


def verify(
    secret: str,
    registered_url: str,
    headers,
    raw_body: bytes,
    now: datetime = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> None:
    """Raise ``SignatureError`` unless the delivery was signed with ``secret`` for ``registered_url``.

    ``headers`` is any mapping (names are compared case-insensitively). Every comparison of
    secret-derived values is constant-time. The error text never contains the secret."""
    if not secret:
        raise SignatureError("no webhook secret is stored for this registration")
    lowered = {str(k).lower(): str(v) for k, v in dict(headers).items()}
    ms_date = lowered.get("x-ms-date", "")
    claimed_hash = lowered.get("x-ms-content-sha256", "")
    authorization = lowered.get("authorization", "")
    if not (ms_date and claimed_hash and authorization):
        raise SignatureError("the delivery lacks x-ms-date, x-ms-content-sha256 or Authorization")
    body_hash = content_hash(raw_body)
    if not hmac.compare_digest(body_hash.encode(), claimed_hash.encode()):
        raise SignatureError("the body does not match x-ms-content-sha256")
    expected = AUTHORIZATION_PREFIX + signature(secret, registered_url, ms_date, body_hash)
    if not hmac.compare_digest(expected.encode(), authorization.encode()):
        raise SignatureError("the signature does not match")
    try:
        sent_at = parsedate_to_datetime(ms_date)
    except (TypeError, ValueError):
        raise SignatureError("x-ms-date is not an RFC 1123 date") from None
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    if sent_at < now - max_age:
        raise SignatureError("x-ms-date is older than deliveries are retried")
    if sent_at > now + max_future:
        raise SignatureError("x-ms-date lies in the future")
