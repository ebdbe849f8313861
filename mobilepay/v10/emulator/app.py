"""The emulator's WSGI application: fault injection, routing, error mapping, request log
(``emulator_kit.wsgi_app``), with the v10 API's error bodies and correlation ids."""

import logging

from ... import formats
from ...emulator_kit.wsgi_app import EmulatorCall, FaultInjectingApp
from . import (
    auth_endpoints,
    control_endpoints,
    payment_endpoints,
    phone_page,
    refund_endpoints,
    store_pos_endpoints,
    usersim_endpoints,
)
from .api_errors import ApiError
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


class Call(EmulatorCall):
    """One request being handled, with the helpers the endpoint functions share."""

    @property
    def correlation_id(self):
        return self.request_id

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


class EmulatorApp(FaultInjectingApp):
    endpoint_modules = (auth_endpoints, store_pos_endpoints, payment_endpoints, refund_endpoints,
                        usersim_endpoints, control_endpoints, phone_page)
    call_class = Call
    api_error = ApiError
    max_body_bytes = MAX_BODY_BYTES
    fault_free_prefixes = FAULT_FREE_PREFIXES
    fault_body_content_type = "application/json"
    logger = _logger

    def request_id(self, request):
        return request.headers.get(CORRELATION_HEADER) or formats.new_guid()

    def body_error_response(self, request, correlation_id, status, message):
        return error_response(ApiError("1099", status=status, message=message), correlation_id)

    def injected_status_response(self, status, request, correlation_id):
        error = ApiError("2000" if status >= 500 else None, status=status, message="Injected fault")
        return error_response(error, correlation_id, with_origin=request.path.startswith(REFUNDS_PREFIX))

    def api_error_response(self, call, error):
        return call.error(error)

    def routing_error_response(self, call, status, message):
        """No such endpoint, or not with this method: an error body like every other error's."""
        return json_response({"code": None, "message": message, "correlationId": call.correlation_id}, status=status)

    def internal_error_response(self, call):
        return call.error(ApiError("2000", status=500, message="Internal error in the emulator"))

    def finish(self, response, correlation_id):
        response.headers[CORRELATION_HEADER] = correlation_id
