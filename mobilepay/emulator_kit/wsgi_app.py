"""The WSGI application both emulators build on: body limit, fault injection, routing, error
mapping and the request log. Each emulator says how its errors look (the hooks of ``FaultInjectingApp``).

Faults (``Faults``, set by tests) hit every path except ``fault_free_prefixes``: ``status`` answers
with that status unprocessed, ``latency`` waits first, ``drop_before`` closes the connection
unprocessed, ``drop_after`` processes and then closes it, ``body`` processes and answers the
fault's body instead. A kind of an emulator's own (e.g. the ePayment ``problem``) goes to the
endpoint as ``call.fault``: an endpoint marked with ``answers_faults`` deals with it itself (after
its own checks), any other is answered by ``fault_response`` without being called.

``hold(request)`` is held over the whole handling of a request, latency faults included (the
ePayment emulator's lock of a payment reference while a modification of it is in progress).
"""

import contextlib
import io
import logging
import socket
import time

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from .controls import ControlError
from .json_responses import json_response

# The fault kinds this application carries out itself; any other goes to the endpoint as ``call.fault``.
OWN_FAULT_KINDS = ("status", "latency", "drop_before", "drop_after", "body")


def answers_faults(endpoint):
    """Mark an endpoint that answers the faults of its emulator's own kinds itself (``call.fault``)."""
    endpoint.answers_faults = True
    return endpoint


class EmulatorCall:
    """One request being handled, with the helpers the endpoint functions share."""

    # A fault of the emulator's own kinds that hit this request (see ``answers_faults``), else None.
    fault = None

    def __init__(self, app, request, request_id):
        self.app = app
        self.emulator = app.emulator
        self.state = app.emulator.state
        self.request = request
        self.request_id = request_id

    @property
    def settings(self):
        return self.state.settings


class FaultInjectingApp:
    # The modules whose ``rules()`` make the URL map, the ``EmulatorCall`` subclass the endpoints get,
    # and the exception the business logic raises for an error answer.
    endpoint_modules = ()
    call_class = EmulatorCall
    api_error = ()  # nothing, until an emulator names its ApiError
    # Larger bodies are refused unread (413); these paths (test controls, the phone page) are never faulted.
    max_body_bytes = 64 * 1024
    fault_free_prefixes = ("/emulator/", "/phone")
    # Content-Type of the answer of a ``body`` fault.
    fault_body_content_type = "application/json"
    logger = logging.getLogger(__name__)

    def __init__(self, emulator):
        self.emulator = emulator
        rules = []
        for module in self.endpoint_modules:
            rules.extend(module.rules())
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    # ------------------------------------------------------------------ what each emulator says

    def request_id(self, request) -> str:
        """The id the error answers of this request carry (correlation id, trace id)."""
        raise NotImplementedError

    def is_logged(self, path) -> bool:
        """Whether ``requests_log`` records calls of this path."""
        return True

    def body_error_response(self, request, request_id, status, message):
        """A body that was not read: larger than the limit (413), or a broken chunked encoding (400)."""
        raise NotImplementedError

    def injected_status_response(self, status, request, request_id):
        """The answer of a ``status`` fault."""
        raise NotImplementedError

    def api_error_response(self, call, error):
        raise NotImplementedError

    def routing_error_response(self, call, status, message):
        """No such endpoint (404), or not with this method (405)."""
        raise NotImplementedError

    def internal_error_response(self, call):
        raise NotImplementedError

    def finish(self, response, request_id) -> None:
        """Last touches on every answer that was not refused for its size (e.g. a correlation header)."""

    def fault_response(self, call, fault):
        """The answer of a fault of the emulator's own kinds on an endpoint that does not answer it itself."""
        raise NotImplementedError(f"no answer for faults of kind {fault.kind}")

    def hold(self, request):
        """A context manager held over the whole handling of the request (latency faults included)."""
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ handling a request

    def __call__(self, environ, start_response):
        unread = buffer_body(environ, self.max_body_bytes)
        request = Request(environ)
        method, path = request.method, request.path
        request_id = self.request_id(request)
        logged = self.is_logged(path)
        if unread:
            response = self.body_error_response(request, request_id, *unread)
            response.headers["Connection"] = "close"  # the rest of the body is never read
            if logged:
                self.emulator.log_request(method, path, response.status_code)
            return response(environ, start_response)
        fault = None
        if not path.startswith(self.fault_free_prefixes):
            fault = self.emulator.faults.take(method, path)
        kind = fault.kind if fault is not None else None
        with self.hold(request):
            if kind == "latency":
                time.sleep(fault.delay_ms(self.emulator.faults.rng) / 1000.0)
            if kind == "drop_before":
                if logged:
                    self.emulator.log_request(method, path, None)
                # Read the body first: left in the server's buffer, it would be parsed as the next
                # request of the (now closed) connection, and logged as a bad request.
                request.get_data()
                drop_connection(environ)
            if kind == "status":
                response = self.injected_status_response(fault.status, request, request_id)
            else:
                response = self.dispatch(request, request_id, None if kind in OWN_FAULT_KINDS else fault)
            if kind == "body":
                response = Response(fault.body.encode("utf-8"), status=fault.status,
                                    content_type=self.fault_body_content_type)
            self.finish(response, request_id)
            if logged:
                self.emulator.log_request(method, path, response.status_code)
            if kind == "drop_after":
                drop_connection(environ)
        return response(environ, start_response)

    def dispatch(self, request, request_id, fault=None):
        call = self.call_class(self, request, request_id)
        call.fault = fault
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            if fault is not None and not getattr(endpoint, "answers_faults", False):
                return self.fault_response(call, fault)
            return endpoint(call, **values)
        except self.api_error as error:
            return self.api_error_response(call, error)
        except ControlError as error:
            return json_response({"error": str(error)}, status=400)
        except MethodNotAllowed as exc:
            allowed = sorted(exc.valid_methods or ())
            response = self.routing_error_response(
                call, 405, f"{request.method} is not allowed here; use {', '.join(allowed)}")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        except HTTPException as exc:
            return self.routing_error_response(call, exc.code or 404, f"No endpoint at {request.path}")
        except Exception:
            self.logger.exception("emulator error on %s %s", request.method, request.path)
            return self.internal_error_response(call)


def buffer_body(environ, limit):
    """Read the request body into memory, at most ``limit`` bytes; None when that went well, else why it was
    not read: (413, message) when it is larger, (400, message) when its chunked encoding is broken.

    A body with a Content-Length over the limit is not read at all; a chunked body is
    read up to the limit and no further. The body read is put back as ``wsgi.input``,
    so the request can be read as usual.
    """
    too_large = (413, f"The request body is larger than {limit} bytes")
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > limit:
        return too_large
    stream = get_input_stream(environ)
    try:
        raw = stream.read(limit + 1)
    except (OSError, ValueError) as error:  # werkzeug's dechunking: "Invalid chunk header" and the like
        return 400, f"The request body is not valid chunked encoding ({error})"
    if len(raw) > limit:
        return too_large
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False
    return None


def drop_connection(environ):
    """Close the connection without an answer (the client sees the connection end)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("connection-drop faults need the emulator's own HTTP server")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    raise ConnectionAbortedError("connection dropped by fault injection")
