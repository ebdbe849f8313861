"""Building the emulators' JSON and empty HTTP answers."""

import json

from werkzeug.wrappers import Response

JSON = "application/json; charset=utf-8"


def json_response(body, status=200, content_type=JSON) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type=content_type)


def empty_response(status=200) -> Response:
    """An answer with no body (and no Content-Type)."""
    response = Response(b"", status=status)
    response.headers.remove("Content-Type")
    return response
