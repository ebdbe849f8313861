"""Webhooks API (API.md 10): register, list, delete; and which events go to which registration.

* ``POST /webhooks/v1/webhooks`` ``{"url", "events"}`` -> ``201 {"id", "secret"}``. Event names are
  checked against the known list: the eight ``epayments.payment.*.v1`` events and
  ``user.checked-in.v1``; anything else (e.g. ``epayment.payment.created.v1`` without the "s") is
  ``400`` with ``extraDetails [{"name": "events", "reason": "Unsupported values: ..."}]`` (API.md 10.1).
  The URL must be absolute http(s); https only when ``webhook_require_https`` (the real service
  requires it; the emulator accepts local receivers by default).
* At most ``webhook_limit_per_event`` (25) registrations per event type per MSN (API.md 0, 10.1):
  one more is ``400``. Only ONE registration of ``user.checked-in.v1`` per MSN: a second one is ``400``
  too [inference: the register endpoint documents only 400; API.md says "re-registering requires
  deleting the old registration first"].
* ``GET`` lists the MSN's registrations without secrets; ``DELETE .../{id}`` answers 204, a malformed id
  or an id that is not one of this MSN's registrations (unknown, already deleted, another MSN's) 400
  ProblemDetails naming ``id``: the spec documents only 204 and 400 for delete (API.md 10.3).
* The MSN is the ``Merchant-Serial-Number`` header, or the access token's when the header is absent
  (merchant keys; API.md 4).
"""

import base64
import os
import uuid
from urllib.parse import urlsplit

from werkzeug.routing import Rule

from .clock import timestamp3, timestamp7
from .problems import ApiError, ControlError
from .records import Registration
from .responses import empty_response, json_response

BASE = "/webhooks/v1/webhooks"
PAYMENT_EVENT_NAMES = ("CREATED", "AUTHORIZED", "ABORTED", "EXPIRED", "TERMINATED", "CANCELLED", "CAPTURED",
                       "REFUNDED")
CHECKIN_EVENT = "user.checked-in.v1"


def payment_event_type(name):
    return f"epayments.payment.{name.lower()}.v1"  # API.md 8.2


KNOWN_EVENTS = tuple(payment_event_type(n) for n in PAYMENT_EVENT_NAMES) + (CHECKIN_EVENT,)


def _bad(field, reason):
    return ApiError(400, "Bad Request", "One or more validation errors occurred.", fields=[(field, reason)])


# ---------------------------------------------------------------------------------------------- fan-out


def publish_payment_event(state, payment, event):
    """Queue the API.md 10.6 payload for every registration of the payment's MSN subscribed to the event."""
    event_type = payment_event_type(event.name)
    targets = [r for r in state.registrations.values() if r.msn == payment.msn and event_type in r.events]
    if not targets or state.deliverer is None:
        return
    payload = {
        "msn": payment.msn,
        "reference": payment.reference,
        "pspReference": event.psp_reference,
        "name": event.name,
        "amount": {"currency": payment.currency, "value": event.amount},
        "timestamp": timestamp3(event.timestamp),
        "idempotencyKey": event.idempotency_key,
        "success": event.success,
    }
    if event.name == "AUTHORIZED" and payment.capture_guaranteed_until is not None:
        payload["captureGuaranteedUntil"] = timestamp3(payment.capture_guaranteed_until)  # API.md 0 (2026)
    for registration in targets:
        state.deliverer.enqueue(registration, event_type, payload, ("payment", payment.reference))


def checkin_registration(state, msn):
    for registration in state.registrations.values():
        if registration.msn == msn and CHECKIN_EVENT in registration.events:
            return registration
    return None


def publish_checkin(state, checkin):
    """Queue ``user.checked-in.v1`` (API.md 11.3). Without a registration the app shows an error and no
    check-in happens (API.md 11.1): ControlError."""
    registration = checkin_registration(state, checkin.msn)
    if registration is None:
        raise ControlError(f"The app shows \"Can't connect to store\": sales unit {checkin.msn} has no webhook "
                           f"registered for {CHECKIN_EVENT} (API.md 11.1)")
    payload = {"customerToken": checkin.customer_token, "merchantQrId": checkin.merchant_qr_id}
    for name in state.settings.checkin_msn_names:
        payload[name] = checkin.msn
    payload["initiatedAt"] = timestamp7(checkin.initiated_at)
    if state.deliverer is not None:
        state.deliverer.enqueue(registration, CHECKIN_EVENT, payload, ("checkin", checkin.merchant_qr_id))
    return registration


# ---------------------------------------------------------------------------------------------- endpoints


def _checked_url(call, url):
    if not isinstance(url, str) or not url:
        raise _bad("url", "The property is required and cannot be null or empty.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is no number or out of range)
    except ValueError:  # "http://[": an unparsable URL
        raise _bad("url", "The url must be an absolute https URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("url", "The url must be an absolute https URL.")
    if call.settings.webhook_require_https and parts.scheme != "https":
        raise _bad("url", "The url must use HTTPS.")
    return url


def _checked_events(events):
    if not isinstance(events, list) or not events:
        raise _bad("events", "The property is required and cannot be null or empty.")
    if not all(isinstance(e, str) for e in events):
        raise _bad("events", "The events must be strings.")
    unknown = [e for e in events if e not in KNOWN_EVENTS]
    if unknown:
        raise _bad("events", f"Unsupported values: {', '.join(unknown)}")
    return list(dict.fromkeys(events))  # duplicates once, order kept


def register(call):
    unit = call.unit(msn_required=False)
    body = call.json_body()
    url = _checked_url(call, body.get("url"))
    events = _checked_events(body.get("events"))
    limit = call.settings.webhook_limit_per_event
    with call.state.transaction() as now:
        existing = [r for r in call.state.registrations.values() if r.msn == unit.msn]
        if CHECKIN_EVENT in events and any(CHECKIN_EVENT in r.events for r in existing):
            raise _bad("events", f"Only one registration of {CHECKIN_EVENT} is allowed per sales unit: delete the "
                                 "existing one first")
        for event in events:
            if sum(event in r.events for r in existing) >= limit:
                raise _bad("events", f"At most {limit} registrations are allowed per event ({event})")
        registration = Registration(id=str(uuid.uuid4()), msn=unit.msn, url=url, events=events,
                                    secret=base64.b64encode(os.urandom(64)).decode("ascii"), created_at=now)
        call.state.registrations[registration.id] = registration
    return json_response({"id": registration.id, "secret": registration.secret}, status=201)


def list_registrations(call):
    unit = call.unit(msn_required=False)
    with call.state.transaction():
        hooks = [r.to_json() for r in call.state.registrations.values() if r.msn == unit.msn]
    return json_response({"webhooks": hooks})


def delete(call, registration_id):
    unit = call.unit(msn_required=False)
    try:
        uuid.UUID(registration_id)
    except ValueError:
        raise _bad("id", "The id must be a UUID.") from None
    with call.state.transaction():
        registration = call.state.registrations.get(registration_id.lower())
        if registration is None or registration.msn != unit.msn:  # the spec documents only 204 and 400
            raise _bad("id", f"No webhook {registration_id} is registered for this sales unit.")
        del call.state.registrations[registration.id]
        if call.state.deliverer is not None:
            call.state.deliverer.drop_registration(registration.id)
    return empty_response(204)


def rules():
    return [
        Rule(BASE, methods=["POST"], endpoint=register),
        Rule(BASE, methods=["GET"], endpoint=list_registrations),
        Rule(BASE + "/<registration_id>", methods=["DELETE"], endpoint=delete),
    ]
