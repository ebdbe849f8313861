"""The emulator's WSGI application: fault injection, routing, error mapping, request log."""

import io
import logging
import socket
import time

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from .. import formats
from . import (
    auth_endpoints,
    control_endpoints,
    payment_endpoints,
    phone_page,
    refund_endpoints,
    store_pos_endpoints,
    usersim_endpoints,
)
from .api_errors import ApiError, ControlError
from .bodies import parse_body
from .headers import CORRELATION_HEADER, authenticate, idempotency_key
from .idempotency import body_fingerprint
from .responses import error_response, json_response

_logger = logging.getLogger("mobilepay.emulator")

REFUNDS_PREFIX = "/pos/v10/refunds"
# Test controls and the phone page are never hit by injected faults.
FAULT_FREE_PREFIXES = ("/emulator/", "/phone")

IDEMPOTENT_REPLAY_HEADER = "X-Emulator-Idempotent-Replay"
# No request of the v10 API comes near this: larger bodies are refused unread (413).
MAX_BODY_BYTES = 64 * 1024


class Call:
    """One request being handled, with the helpers the endpoint functions share."""

    def __init__(self, app, request, correlation_id):
        self.app = app
        self.emulator = app.emulator
        self.state = app.emulator.state
        self.request = request
        self.correlation_id = correlation_id

    @property
    def settings(self):
        return self.state.settings

    def context(self):
        return authenticate(self.request, self.state, self.emulator.tokens, self.correlation_id)

    def body(self, model):
        return parse_body(model, self.request.get_data(), self.settings.strict_unknown_properties)

    def query(self, name):
        value = self.request.args.get(name)
        return None if value is None or value == "" else value

    def error(self, error):
        return error_response(error, self.correlation_id, with_origin=self.request.path.startswith(REFUNDS_PREFIX))

    def idempotent(self, ctx, endpoint, produce):
        """Run a create POST once per idempotency key; replay its answer for identical retries.

        ``produce(now)`` returns the JSON body of the 200 answer or raises ApiError."""
        key = idempotency_key(self.request)
        fingerprint = body_fingerprint(self.request.get_data())
        scope = (ctx.client_id, ctx.merchant_vat, endpoint, key)
        with self.state.transaction() as now:
            stored = self.state.idempotency.lookup(scope, fingerprint)
            if stored is not None:
                response = json_response({}, status=stored.status)
                response.set_data(stored.body)
                response.headers[IDEMPOTENT_REPLAY_HEADER] = "true"
                return response
            try:
                response = json_response(produce(now))
            except ApiError as error:
                response = self.error(error)
            self.state.idempotency.remember(scope, fingerprint, response.status_code, response.get_data(),
                                            response.content_type, now)
            return response

    def polled(self, ctx, kind, resource_id):
        """Count an early poll of this resource (before handling the GET)."""
        self.emulator.polls.arrived(ctx.client_id, kind, resource_id)

    def answered_poll(self, ctx, kind, resource_id, delay_ms):
        self.emulator.polls.answered(ctx.client_id, kind, resource_id, delay_ms)


class EmulatorApp:
    def __init__(self, emulator):
        self.emulator = emulator
        rules = []
        for module in (auth_endpoints, store_pos_endpoints, payment_endpoints, refund_endpoints,
                       usersim_endpoints, control_endpoints, phone_page):
            rules.extend(module.rules())
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ, start_response):
        too_large = _buffer_body(environ, MAX_BODY_BYTES)
        request = Request(environ)
        method, path = request.method, request.path
        correlation_id = request.headers.get(CORRELATION_HEADER) or formats.new_guid()
        if too_large:
            response = error_response(
                ApiError("1099", status=413, message=f"The request body is larger than {MAX_BODY_BYTES} bytes"),
                correlation_id,
            )
            response.headers["Connection"] = "close"  # the rest of the body is never read
            self.emulator.log_request(method, path, 413)
            return response(environ, start_response)
        fault = None
        if not path.startswith(FAULT_FREE_PREFIXES):
            fault = self.emulator.faults.take(method, path)
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.delay_ms(self.emulator.faults.rng) / 1000.0)
        if fault is not None and fault.kind == "drop_before":
            self.emulator.log_request(method, path, None)
            # Read the body first: left in the server's buffer, it would be parsed as the next
            # request of the (now closed) connection, and logged as a bad request.
            request.get_data()
            _drop_connection(environ)
        if fault is not None and fault.kind == "status":
            error = ApiError("2000" if fault.status >= 500 else None, status=fault.status,
                             message="Injected fault")
            response = error_response(error, correlation_id, with_origin=path.startswith(REFUNDS_PREFIX))
        else:
            response = self.dispatch(request, correlation_id)
        if fault is not None and fault.kind == "body":
            response = Response(fault.body, status=fault.status, content_type="application/json")
        response.headers[CORRELATION_HEADER] = correlation_id
        self.emulator.log_request(method, path, response.status_code)
        if fault is not None and fault.kind == "drop_after":
            _drop_connection(environ)
        return response(environ, start_response)

    @staticmethod
    def _routing_error(status, message, correlation_id):
        """No such endpoint, or not with this method: an error body like every other error's."""
        return json_response({"code": None, "message": message, "correlationId": correlation_id}, status=status)

    def dispatch(self, request, correlation_id):
        call = Call(self, request, correlation_id)
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            return endpoint(call, **values)
        except ApiError as error:
            return call.error(error)
        except ControlError as error:
            return json_response({"error": str(error)}, status=400)
        except MethodNotAllowed as exc:
            allowed = sorted(exc.valid_methods or ())
            response = self._routing_error(405, f"{request.method} is not allowed here; use {', '.join(allowed)}",
                                           correlation_id)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        except HTTPException as exc:
            return self._routing_error(exc.code or 404, f"No endpoint at {request.path}", correlation_id)
        except Exception:
            _logger.exception("emulator error on %s %s", request.method, request.path)
            return call.error(ApiError("2000", status=500, message="Internal error in the emulator"))


def _buffer_body(environ, limit):
    """Read the request body into memory, at most ``limit`` bytes; True when it is larger.

    A body with a Content-Length over the limit is not read at all; a chunked body is
    read up to the limit and no further. The body read is put back as ``wsgi.input``,
    so the request can be read as usual.
    """
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > limit:
        return True
    stream = get_input_stream(environ)
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        return True
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False
    return False


def _drop_connection(environ):
    """Close the connection without an answer (the client sees the connection end)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("connection-drop faults need the emulator's own HTTP server")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    raise ConnectionAbortedError("connection dropped by fault injection")
