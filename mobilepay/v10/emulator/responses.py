"""Building the emulator's HTTP answers (API.md section 5)."""

from werkzeug.wrappers import Response

# Action endpoints answer 200 with no body (and no Content-Type): ``empty_response()``.
from ...emulator_kit.json_responses import empty_response as empty_response
from ...emulator_kit.json_responses import json_response as json_response
from .api_errors import ApiError


def error_response(error: ApiError, correlation_id: str, with_origin=False) -> Response:
    """``{"code": "1301", "message": ..., "correlationId": ...}``; refund endpoints add ``"origin": "PoS"``.

    401 answers carry an OAuth-style body [Unconfirmed]; a 404 without a MobilePay code has no body.
    """
    if error.status == 401:
        response = json_response({"error": "invalid_token", "error_description": error.message}, status=401)
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if error.code is None and error.status == 404:
        return empty_response(404)
    body = {"code": error.code, "message": error.message, "correlationId": correlation_id}
    if with_origin:
        body["origin"] = "PoS"
    return json_response(body, status=error.status)
