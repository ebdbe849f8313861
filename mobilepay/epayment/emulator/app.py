"""The emulator's WSGI application: fault injection, routing, error answers, request log."""

import json
import logging
import time

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map
from werkzeug.wrappers import Request

# The v10 emulator's body buffering (bodies over the limit are refused unread) and connection drop.
from ...emulator.app import _buffer_body, _drop_connection
from . import auth, control_endpoints, epayment_endpoints, images, phone_page, qr_endpoints, webhooks
from .problems import ApiError, ControlError, invalid, new_trace_id, render
from .responses import json_response
from .server import UNDERSCORE_HEADERS_KEY

_logger = logging.getLogger("mobilepay.epayment.emulator")

# Test controls and the phone page are never hit by injected faults (the QR images can be).
FAULT_FREE_PREFIXES = ("/emulator/", "/phone")
# What ``requests_log`` records: calls of the four APIs.
API_PREFIXES = ("/accesstoken/", "/epayment/", "/webhooks/", "/qr/")
# No request of these APIs comes near this: larger bodies are refused unread (413).
MAX_BODY_BYTES = 64 * 1024


class Call:
    """One request being handled, with the helpers the endpoint functions share."""

    def __init__(self, app, request, trace_id):
        self.app = app
        self.emulator = app.emulator
        self.state = app.emulator.state
        self.request = request
        self.trace_id = trace_id

    @property
    def settings(self):
        return self.state.settings

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


class EPaymentApp:
    def __init__(self, emulator):
        self.emulator = emulator
        rules = []
        for module in (auth, epayment_endpoints, webhooks, qr_endpoints, images, phone_page, control_endpoints):
            rules.extend(module.rules())
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ, start_response):
        too_large = _buffer_body(environ, MAX_BODY_BYTES)
        request = Request(environ)
        method, path = request.method, request.path
        trace_id = new_trace_id()
        logged = path.startswith(API_PREFIXES)
        if too_large:
            response = render(ApiError(413, detail=f"The request body is larger than {MAX_BODY_BYTES} bytes"), path,
                              trace_id)
            response.headers["Connection"] = "close"  # the rest of the body is never read
            if logged:
                self.emulator.log_request(method, path, 413)
            return response(environ, start_response)
        fault = None
        if not path.startswith(FAULT_FREE_PREFIXES):
            fault = self.emulator.faults.take(method, path)
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.delay_ms(self.emulator.faults.rng) / 1000.0)
        if fault is not None and fault.kind == "drop_before":
            if logged:
                self.emulator.log_request(method, path, None)
            request.get_data()  # left unread, it would be parsed as the next request of the closed connection
            _drop_connection(environ)
        if fault is not None and fault.kind == "status":
            response = render(ApiError(fault.status, detail="Injected fault"), path, trace_id)
        else:
            response = self.dispatch(request, trace_id)
        if fault is not None and fault.kind == "body":
            response = json_response({}, status=fault.status)
            response.set_data(fault.body.encode("utf-8"))
        if logged:
            self.emulator.log_request(method, path, response.status_code)
        if fault is not None and fault.kind == "drop_after":
            _drop_connection(environ)
        return response(environ, start_response)

    def dispatch(self, request, trace_id):
        call = Call(self, request, trace_id)
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            return endpoint(call, **values)
        except ApiError as error:
            return call.render(error)
        except ControlError as error:
            return json_response({"error": str(error)}, status=400)
        except MethodNotAllowed as exc:
            allowed = sorted(exc.valid_methods or ())
            response = call.render(ApiError(405, detail=f"{request.method} is not allowed here; use "
                                                        f"{', '.join(allowed)}"))
            response.headers["Allow"] = ", ".join(allowed)
            return response
        except HTTPException as exc:
            return call.render(ApiError(exc.code or 404, detail=f"No endpoint at {request.path}"))
        except Exception:
            _logger.exception("emulator error on %s %s", request.method, request.path)
            return call.render(ApiError(500, detail="Internal error in the emulator"))
