"""The sandbox User Simulation API (API.md section 8.5): the customer's app, driven over HTTP.

Auth [Unconfirmed]: no Authorization header, or a valid bearer token of the
emulator; a bad or expired token gets 401. Answers: 200 with no body; a refused
action gets 500 with an error body whose code is one of SIMULATION_ERROR_CODES.
"""

from werkzeug.routing import Rule

from ..schemas import AcceptPaymentRequest, CancelPaymentByUserRequest, UserCheckInRequest
from . import customer_actions
from .api_errors import ApiError, SimulationError
from .bodies import parse_body
from .headers import bearer_claims
from .responses import empty_response

BASE = "/pos/app/usersimulation"


def _authorize(call):
    if call.request.headers.get("Authorization"):
        bearer_claims(call.request, call.state, call.emulator.tokens)


def _body(call, model):
    try:
        return parse_body(model, call.request.get_data(), call.settings.strict_unknown_properties)
    except ApiError as error:
        raise SimulationError("2007", f"Invalid user simulation request: {error.message}") from None


def checkin(call):
    _authorize(call)
    request = _body(call, UserCheckInRequest)
    with call.state.transaction() as now:
        customer_actions.checkin(call.state, request.beacon_id, request.phone_number, now)
    return empty_response()


def accept_payment(call):
    _authorize(call)
    request = _body(call, AcceptPaymentRequest)
    with call.state.transaction() as now:
        customer_actions.accept_payment(call.state, request.beacon_id, request.phone_number, now)
    return empty_response()


def cancel_payment_by_user(call):
    _authorize(call)
    request = _body(call, CancelPaymentByUserRequest)
    with call.state.transaction() as now:
        customer_actions.cancel_payment_by_user(call.state, request.beacon_id, now)
    return empty_response()


def rules():
    return [
        Rule(BASE + "/checkin", methods=["POST"], endpoint=checkin),
        Rule(BASE + "/acceptpayment", methods=["POST"], endpoint=accept_payment),
        Rule(BASE + "/cancelpaymentbyuser", methods=["POST"], endpoint=cancel_payment_by_user),
    ]
