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
it for the next one). Repeated deliveries have no further effect. The work is done in a READ
COMMITTED cursor of its own that waits for row locks (a few seconds at most) and is tried
again on a concurrency error; what still fails on our side answers 503, so Vipps MobilePay
delivers again (it retries for days). Nothing a caller sends can make it answer 500.
"""

import logging
import time

import psycopg2

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..mobilepay.epayment.provider_terms import notice_from_delivery
from ..mobilepay.epayment.webhook_events import MAX_BODY_BYTES, WebhookRejected
from ..mobilepay.provider import CheckinNotice
from .request_body import plain_response, read_limited_body

_logger = logging.getLogger(__name__)

# Lock waits and concurrency retries: a busy register or payment row is waited for, never skipped.
LOCK_TIMEOUT = "5s"
CONCURRENCY_TRIES = 3
CONCURRENCY_ERRORS = (
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
)


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
        # auth="none" (as Odoo's pos_viva_com): no user; the signature is the authentication, the server writes.
        request.update_env(user=SUPERUSER_ID)
        httprequest = request.httprequest
        raw = read_limited_body(httprequest, MAX_BODY_BYTES)
        if raw is None:
            return plain_response(413, "too large")
        try:
            method = request.env["pos.payment.method"].sudo().browse(method_id).exists()
            secrets = method._vipps_webhook_secrets() if method else []
            if not secrets:
                _logger.info("Vipps MobilePay webhook for payment method %s: no registration here", method_id)
                return plain_response(401, "refused")  # the same word as a bad signature: ids are not told apart
            try:
                notice = notice_from_delivery(raw, dict(httprequest.headers.items()), secrets)
            except WebhookRejected as error:
                _logger.info("Vipps MobilePay webhook for payment method %s refused: %s", method_id, error)
                return plain_response(401 if error.unauthenticated else 400, "refused")
            self._apply(method, notice)
        except Exception:
            _logger.exception("Vipps MobilePay webhook for payment method %s could not be handled", method_id)
            return plain_response(503, "try again later")  # Vipps MobilePay delivers it again
        return plain_response(200, "ok")

    def _apply(self, method, notice):
        """Act on a verified notice in a READ COMMITTED cursor of its own that waits for locks; tried again
        on a concurrency error. Raises what still fails (the caller answers 503)."""
        for attempt in range(1, CONCURRENCY_TRIES + 1):
            try:
                with request.env["pos.mobilepay.transaction"]._mobilepay_own_cursor() as env:
                    env.cr.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    if isinstance(notice, CheckinNotice):
                        found = env["pos.mobilepay.registration"].sudo()._mobilepay_on_vipps_checkin(
                            method.with_env(env), notice
                        )
                    else:
                        found = env["pos.mobilepay.transaction"].sudo()._mobilepay_on_payment_notice(
                            method.with_env(env), notice
                        )
                if not found:
                    _logger.info("Vipps MobilePay webhook for payment method %s: nothing here for it", method.id)
                return
            except CONCURRENCY_ERRORS as error:
                if attempt == CONCURRENCY_TRIES:
                    raise
                _logger.info("Vipps MobilePay webhook for payment method %s meets a busy row (%s): again",
                             method.id, type(error).__name__)
                time.sleep(0.05 * attempt)
