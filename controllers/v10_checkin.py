"""The MobilePay notification service endpoint (check-in callback, API.md section 13).

MobilePay POSTs ``{"MerchantId", "MerchantBrandId", "MerchantLocationId", "MerchantPosId",
"PosId"}`` when someone checks in on a PoS that has a callback alias. The body is not
signed, so it is trusted no further than "look at this PoS now": we find the PoS by both
its PosId and its MerchantPosId (which names our database and POS config), push
``MOBILEPAY_CHECKIN`` to that register and wake the poller up if a payment runs there.

Answers: 200 (also for a PoS we do not know: retrying would not help), 400 for a body
that is not such an object, 400 or 413 for a body over 8 KiB (chunked or not). Nothing a
caller sends can make it answer 500.
"""

import json
import logging

from odoo import http
from odoo.http import request

from ..mobilepay import formats
from .request_body import plain_response, read_limited_body

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024
REQUIRED_KEYS = ("MerchantPosId", "PosId")
TEXT_KEYS = ("MerchantId", "MerchantBrandId", "MerchantLocationId", "MerchantPosId", "PosId")


def parse_notification(raw):
    """The validated body as a dict, or None when it is not a check-in notification."""
    if not raw or len(raw) > MAX_BODY_BYTES:
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    for key in TEXT_KEYS:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            return None
        if isinstance(value, str) and len(value) > 64:
            return None
    if any(not body.get(key) for key in REQUIRED_KEYS):
        return None
    try:
        body["PosId"] = formats.check_guid(body["PosId"])
        formats.check_text(body["MerchantPosId"])
    except ValueError:
        return None
    return body


class MobilePayNotificationController(http.Controller):
    @http.route(
        "/pos_mobilepay/notification",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY_BYTES,
    )
    def mobilepay_notification(self, **_kwargs):
        raw = read_limited_body(request.httprequest, MAX_BODY_BYTES)
        if raw is None:
            _logger.info("MobilePay notification refused: body over %s bytes", MAX_BODY_BYTES)
            return plain_response(400, "invalid body")
        body = parse_notification(raw)
        if body is None:
            _logger.info("MobilePay notification refused: invalid body (%s bytes)", len(raw))
            return plain_response(400, "invalid body")
        try:
            with request.env.cr.savepoint():
                found = request.env["pos.mobilepay.registration"].sudo()._mobilepay_on_checkin(body)
        except Exception:
            # Never a 500 to the caller; MobilePay would only retry, the poller follows anyway.
            _logger.exception("MobilePay notification for PoS %s could not be handled", body.get("PosId"))
            return plain_response(200, "ok")
        if not found:
            _logger.info("MobilePay notification for a PoS unknown here: %s", body.get("PosId"))
        return plain_response(200, "ok")
