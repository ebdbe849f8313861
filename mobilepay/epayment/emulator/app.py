"""The emulator's WSGI application: fault injection, routing, error answers, request log
(``emulator_kit.wsgi_app``), with the error bodies of each API family and W3C-like trace ids, the
answer of a ``problem`` fault (faults.py) and the hold of a payment reference while a modification
of it is handled (busy.py)."""

import contextlib
import json
import logging

from ...emulator_kit.json_responses import JSON
from ...emulator_kit.wsgi_app import EmulatorCall, FaultInjectingApp
from . import auth, busy, control_endpoints, epayment_endpoints, images, phone_page, qr_endpoints, webhooks
from .faults import problem_error
from .problems import ApiError, invalid, new_trace_id, render
from .server import UNDERSCORE_HEADERS_KEY

_logger = logging.getLogger("mobilepay.epayment.emulator")

# Test controls and the phone page are never hit by injected faults (the QR images can be).
FAULT_FREE_PREFIXES = ("/emulator/", "/phone")
# What ``requests_log`` records: calls of the four APIs.
API_PREFIXES = ("/accesstoken/", "/epayment/", "/webhooks/", "/qr/")
# No request of these APIs comes near this: larger bodies are refused unread (413).
MAX_BODY_BYTES = 64 * 1024


class Call(EmulatorCall):
    """One request being handled, with the helpers the endpoint functions share."""

    @property
    def trace_id(self):
        return self.request_id

    @property
    def base_url(self):
        """Where the links the emulator hands out point: the public base URL, or where the request came in."""
        return self.settings.public_base_url or self.request.host_url.rstrip("/")

    def unit(self, msn_required=True):
        return auth.authenticate(self, msn_required)

    def underscore_header(self, name):
        """A header with an underscore in its name (``client_id``). Under another WSGI server than the
        emulator's own (e.g. werkzeug's test client) it is read from the environ as usual."""
        environ = self.request.environ
        if UNDERSCORE_HEADERS_KEY in environ:
            value = environ[UNDERSCORE_HEADERS_KEY].get(name.lower())
        else:
            value = self.request.headers.get(name)
        return value.strip() if isinstance(value, str) else None

    def json_body(self, required=True) -> dict:
        raw = self.request.get_data()
        if not raw.strip():
            if required:
                raise invalid("body", "A JSON request body is required.")
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise invalid("body", "The request body is not valid JSON (or is nested too deeply).") from None
        if not isinstance(body, dict):
            raise invalid("body", "The request body must be a JSON object.")
        return body

    def render(self, error):
        return render(error, self.request.path, self.trace_id)


class EPaymentApp(FaultInjectingApp):
    endpoint_modules = (auth, epayment_endpoints, webhooks, qr_endpoints, images, phone_page, control_endpoints)
    call_class = Call
    api_error = ApiError
    max_body_bytes = MAX_BODY_BYTES
    fault_free_prefixes = FAULT_FREE_PREFIXES
    fault_body_content_type = JSON
    logger = _logger

    def __init__(self, emulator):
        super().__init__(emulator)
        self.holds = busy.ReferenceHolds()  # in-flight requests: not forgotten by reset()

    def request_id(self, request):
        return new_trace_id()

    def hold(self, request):
        key = busy.modification_key(request) if self.emulator.settings.modification_lock else None
        if key is None or key[1] is None:
            return contextlib.nullcontext()
        return self.holds.held(request.environ, key)

    def fault_response(self, call, fault):
        return call.render(problem_error(fault))

    def is_logged(self, path):
        return path.startswith(API_PREFIXES)

    def body_error_response(self, request, trace_id, status, message):
        return render(ApiError(status, detail=message), request.path, trace_id)

    def injected_status_response(self, status, request, trace_id):
        return render(ApiError(status, detail="Injected fault"), request.path, trace_id)

    def api_error_response(self, call, error):
        return call.render(error)

    def routing_error_response(self, call, status, message):
        return call.render(ApiError(status, detail=message))

    def internal_error_response(self, call):
        return call.render(ApiError(500, detail="Internal error in the emulator"))
