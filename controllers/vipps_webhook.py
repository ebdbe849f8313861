"""The Vipps MobilePay webhook endpoint (ePayment API.md 10.4-10.6 and 11.3).

``POST /pos_mobilepay/vipps/webhook/<payment method id>``, as registered by the payment
method's "Register webhooks" button. The body is verified against the signature made with
that registration's secret over its registered URL (so a reverse proxy that rewrites Host
does not matter); anything else changes nothing:

* 200 for a genuine delivery (also one about a payment unknown here: retrying would not help);
* 401 for a forged, tampered, replayed-too-late or unsigned delivery, or a method without
  webhooks; 400 for a body that is not an event; 413 for a body over 64 KiB.

It answers at once. A payment event only makes its transaction due, so the poller reads the
payment back (GET) after this request committed: the event is a signal, never the truth
about money. A check-in hands its customer token to the register's waiting payment (or keeps
it for the next one). Repeated deliveries have no further effect. Nothing a caller sends can
make it answer 500.
"""

import logging

from odoo import http
from odoo.http import request

from ..mobilepay.epayment.webhook_events import MAX_BODY_BYTES, WebhookRejected
from ..mobilepay.provider import CheckinNotice
from ..mobilepay.provider_epayment import notice_from_delivery
from .main import _plain, read_limited_body

_logger = logging.getLogger(__name__)


class VippsWebhookController(http.Controller):
    @http.route(
        "/pos_mobilepay/vipps/webhook/<int:method_id>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
        max_content_length=MAX_BODY_BYTES,
    )
    def vipps_webhook(self, method_id, **_kwargs):
        httprequest = request.httprequest
        raw = read_limited_body(httprequest, MAX_BODY_BYTES)
        if raw is None:
            return _plain(413, "too large")
        try:
            with request.env.cr.savepoint():
                return self._handle(method_id, raw, dict(httprequest.headers.items()))
        except Exception:
            _logger.exception("Vipps MobilePay webhook for payment method %s could not be handled", method_id)
            return _plain(200, "ok")  # never a 500: the poller follows the payment anyway

    def _handle(self, method_id, raw, headers):
        method = request.env["pos.payment.method"].sudo().browse(method_id).exists()
        if (
            not method
            or method.use_payment_terminal != "mobilepay"
            or method.mobilepay_api != "epayment"
            or not (method.vipps_webhook_secret and method.vipps_webhook_url)
        ):
            _logger.info("Vipps MobilePay webhook for payment method %s: no registration here", method_id)
            return _plain(401, "unknown registration")
        try:
            notice = notice_from_delivery(raw, headers, {method.vipps_webhook_url: method.vipps_webhook_secret})
        except WebhookRejected as error:
            _logger.info("Vipps MobilePay webhook for payment method %s refused: %s", method_id, error)
            return _plain(401 if error.unauthenticated else 400, "refused")
        if isinstance(notice, CheckinNotice):
            found = request.env["pos.mobilepay.registration"].sudo()._mobilepay_on_vipps_checkin(method, notice)
        else:
            found = request.env["pos.mobilepay.transaction"].sudo()._mobilepay_on_payment_notice(method, notice)
        if not found:
            _logger.info("Vipps MobilePay webhook for payment method %s: nothing here for it", method_id)
        return _plain(200, "ok")
