"""Building the emulator's HTTP answers (API.md section 5)."""

import json

from werkzeug.wrappers import Response

from .api_errors import ApiError

JSON = "application/json; charset=utf-8"


def json_response(body, status=200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type=JSON)


def empty_response(status=200) -> Response:
    """Action endpoints answer 200 with no body (and no Content-Type)."""
    response = Response(b"", status=status)
    response.headers.remove("Content-Type")
    return response


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
