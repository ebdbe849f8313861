"""What both notification endpoints share: a plain-text answer, and a body read never past its limit."""

from werkzeug.exceptions import RequestEntityTooLarge

from odoo.http import request


def plain_response(status, text):
    return request.make_response(text, headers=[("Content-Type", "text/plain; charset=utf-8")], status=status)


def _read_at_most(httprequest, size):
    """At most ``size`` bytes of the body, whether it has a Content-Length or comes chunked.

    Werkzeug 2.3 and later apply the route's ``max_content_length`` when the body is read;
    Werkzeug 2.2 (Odoo's pin for Python 3.11) applies it to form bodies only, and
    ``get_data()`` would buffer a chunked body whole. Odoo's request wrapper does not
    expose the input stream, so it is read from the Werkzeug request it wraps.
    """
    wrapped = getattr(httprequest, "_HTTPRequest__wrapped", None)
    if wrapped is None:
        return httprequest.get_data()[:size]
    return wrapped.stream.read(size)


def read_limited_body(httprequest, limit):
    """The raw body, or None when it is (or says it is) longer than ``limit`` bytes: never read past it."""
    if (httprequest.content_length or 0) > limit:
        return None
    try:
        raw = _read_at_most(httprequest, limit + 1)
    except RequestEntityTooLarge:
        return None
    return None if raw is None or len(raw) > limit else raw
