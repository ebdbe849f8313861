"""Reading a webhook delivery: verify its signature, then tell a payment event from a check-in.

Forged, stale or malformed deliveries raise ``WebhookRejected`` and change nothing.
"""

import json

import pydantic

from .schemas import CheckedInEvent, PaymentWebhookEvent
from .signature import SignatureError, verify

MAX_BODY_BYTES = 64 * 1024


class WebhookRejected(ValueError):
    """The delivery is not genuine (``unauthenticated``) or not readable; answer 4xx, never 500."""

    def __init__(self, message, unauthenticated=False):
        super().__init__(message)
        self.unauthenticated = unauthenticated


def parse_delivery(raw_body, headers, secrets_by_url, now=None):
    """The typed event of a signed delivery.

    ``secrets_by_url`` maps each registered URL that could have received it to the
    registration's secret, or is a list of (URL, secret) pairs when one URL has several
    registrations (API.md 10.5: one secret per registration; try each)."""
    if not isinstance(raw_body, (bytes, bytearray)) or len(raw_body) > MAX_BODY_BYTES:
        raise WebhookRejected("the body is missing or too large")
    last = None
    pairs = secrets_by_url.items() if hasattr(secrets_by_url, "items") else secrets_by_url
    for url, secret in pairs:
        try:
            verify(secret, url, headers, bytes(raw_body), now=now)
            break
        except SignatureError as exc:
            last = exc
    else:
        raise WebhookRejected(str(last or "no webhook registration is stored"), unauthenticated=True)
    return parse_payload(raw_body)


def parse_payload(raw_body):
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected("the body is not a JSON object")
    # The two kinds have no common discriminator; they are told apart by their keys (API.md 11.3).
    kind = CheckedInEvent if "customerToken" in data else PaymentWebhookEvent
    try:
        return kind.model_validate(data)
    except pydantic.ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:3])
        raise WebhookRejected(f"the {kind.__name__} lacks or breaks: {fields}") from None
