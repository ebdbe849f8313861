"""The Vipps MobilePay ePayment side of a register's registration: its QR sticker (API.md 11.2, 11.4) and
the check-ins on it (API.md 11.3, 11.5): a scan's customer token goes to the register's payment waiting
for it, or is kept for the register's next sticker payment."""

import dataclasses
import logging
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models

from ..mobilepay.epayment.provider_terms import merchant_qr_id
from .mobilepay_flows import CHECKIN_TOKEN_LIFETIME_S, PARKED_CHECKIN_MAX_AGE_S
from .pos_mobilepay_transaction import utcnow

_logger = logging.getLogger(__name__)


class PosMobilepayRegistration(models.Model):
    _inherit = "pos.mobilepay.registration"

    qr_image_url = fields.Char(
        string="Sticker Image",
        readonly=True,
        copy=False,
        help="ePayment: the till's QR sticker as Vipps MobilePay made it (print it; fetched again at each sync).",
    )
    checkin_token = fields.Char(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="ePayment: the customer token of the last check-in on the sticker, until a payment uses it.",
    )
    checkin_at = fields.Datetime(
        string="Last Check-in",
        readonly=True,
        copy=False,
        help="When the customer scanned (initiatedAt) for the check-in kept in Customer Token.",
    )

    def _mobilepay_spec(self, store_id):
        spec = super()._mobilepay_spec(store_id)
        if self.payment_method_id.sudo().mobilepay_api != "epayment":
            return spec
        # The sticker keeps its id once printed. One printed for the v10 PoS keeps working too:
        # registered with its beacon id (API.md 11.4).
        beacon_id = spec.beacon_id or self.beacon_id or None
        migrate = bool(beacon_id) and beacon_id != merchant_qr_id(self.merchant_pos_id or "-")
        return dataclasses.replace(spec, beacon_id=beacon_id, migrate_v10_beacon=migrate)

    def _mobilepay_take_checkin(self, started_at=None):
        """The customer token of the scan kept for this register, taken (cleared), when a payment starting
        ``started_at`` may use it: scanned at most PARKED_CHECKIN_MAX_AGE_S before, after the register's
        previous payment (``_mobilepay_checkin_cutoff``), and still within the token's life. Else None (the
        token is dropped all the same: it is never given to a later payment)."""
        self.ensure_one()
        registration = self.sudo()
        token, at = registration.checkin_token, registration.checkin_at
        if not token or not at:
            return None
        registration.write({"checkin_token": False})
        now = utcnow()
        started_at = started_at or now
        if (started_at - at).total_seconds() > PARKED_CHECKIN_MAX_AGE_S:
            registration._mobilepay_log_checkin("a scan kept from %(age)s s before the payment is too old: unused",
                                                at, started_at)
            return None
        cutoff = registration._mobilepay_checkin_cutoff(now)
        if cutoff and at <= cutoff:
            registration._mobilepay_log_checkin("a kept scan from %(age)s s before the register's previous payment "
                                                "ended belongs to that sale: unused", at, cutoff)
            return None
        if (now - at).total_seconds() > CHECKIN_TOKEN_LIFETIME_S:
            return None
        return token

    def _mobilepay_checkin_cutoff(self, now):
        """The moment before which a scan at this register belongs to an earlier sale: when one of the
        register's payments of this method (any flow) last ended; now while one of its sticker payments
        that took a scan still runs; the start of a payment of another flow that still runs (the customer
        who scanned before it paid by QR or phone after all; a parked order's QR does not stop the next
        customer's check-in). A customer's second scan, a scan delivered late or twice, a scan while the
        previous customer still pays: none of them reaches a later payment (the customer scans again).
        None when the register had no such payment lately."""
        self.ensure_one()
        self.env["pos.mobilepay.transaction"].flush_model(
            ["config_id", "payment_method_id", "kind", "awaiting_checkin", "is_final", "state_changed_at"]
        )
        self.env.cr.execute(
            """SELECT max(CASE WHEN is_final THEN state_changed_at WHEN flow = 'sticker' THEN %(now)s
                               ELSE create_date END)
                 FROM pos_mobilepay_transaction
                WHERE config_id = %(config)s AND payment_method_id = %(method)s AND kind = 'payment'
                  AND awaiting_checkin IS NOT TRUE
                  AND (NOT is_final OR state_changed_at > %(recent)s)""",
            {
                "now": now,
                "config": self.config_id.id,
                "method": self.payment_method_id.id,
                "recent": now - timedelta(seconds=CHECKIN_TOKEN_LIFETIME_S + 60),
            },
        )
        return self.env.cr.fetchone()[0]

    def _mobilepay_log_checkin(self, message, at, now):
        _logger.info("MobilePay register %s: %s", self.config_id.id, message % {"age": int((now - at).total_seconds())})

    @staticmethod
    def _mobilepay_scanned_at(notice):
        """When the customer scanned (``initiatedAt``), naive UTC; None when it cannot be read."""
        text = (notice.checked_in_at or "").strip()
        if not text:
            return None
        text = text.replace("Z", "+00:00")
        # Python before 3.11 reads at most 6 fractional digits; Vipps MobilePay sends 7.
        if "." in text:
            head, _dot, tail = text.partition(".")
            digits = "".join(c for c in tail if c.isdigit())
            text = f"{head}.{digits[:6]}{tail[len(digits):]}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment

    @api.model
    def _mobilepay_on_vipps_checkin(self, method, notice):
        """A verified ``user.checked-in.v1`` for one of ``method``'s stickers. Returns whether it is ours.

        Run in a READ COMMITTED cursor that waits for locks (see the webhook controller). The
        register's row is locked first, so a check-in and a payment start of the same register
        never miss each other: the newest payment of that register waiting for a check-in gets the
        customer token and is sent at once, if the customer scanned after it started (or at most
        PARKED_CHECKIN_MAX_AGE_S before); with none waiting, the token is kept for the next payment
        (the newest scan wins, by initiatedAt). A scan older than the token's life, or made before the
        register's previous payment ended (``_mobilepay_checkin_cutoff``), is not used. Either way the
        register hears "customer checked in"."""
        registration = self.sudo().search(
            [("payment_method_id", "=", method.id), ("pos_id", "=", notice.pos_id), ("state", "=", "registered")]
        )
        if not registration:
            return False
        if len(registration) > 1:
            # Two registers share the sticker (a database from before one sticker per register): a scan
            # could reach either. Nobody gets it until the administrator gives each register its own.
            _logger.warning("MobilePay: registers %s share the sticker %s: check-in not used",
                            registration.config_id.ids, notice.pos_id)
            return True
        now = utcnow()
        scanned_at = self._mobilepay_scanned_at(notice) or now
        if (now - scanned_at).total_seconds() > CHECKIN_TOKEN_LIFETIME_S:
            registration._mobilepay_log_checkin("a scan from %(age)s s ago arrived too late to pay: unused",
                                                scanned_at, now)
            return True
        # A lock wait that times out is retried by the webhook (then answered 503): no "bad query" log.
        self.env.cr.execute(
            "SELECT id FROM pos_mobilepay_registration WHERE id = %s FOR UPDATE", (registration.id,),
            log_exceptions=False,
        )
        registration.invalidate_recordset()
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        token = notice.customer_token
        used = Transaction.search_count(
            [("registration_id", "=", registration.id), ("kind", "=", "payment"), ("customer_input", "=", token)],
            limit=1,
        )
        if used or registration.checkin_token == token:
            return True  # the same check-in delivered again: it was handled the first time
        waiting = Transaction.search(
            [
                ("registration_id", "=", registration.id),
                ("kind", "=", "payment"),
                ("awaiting_checkin", "=", True),
                ("is_final", "=", False),
            ],
            order="id desc",
            limit=1,
        )
        cutoff = registration._mobilepay_checkin_cutoff(now)
        if cutoff and scanned_at <= cutoff:
            registration._mobilepay_log_checkin("a scan from %(age)s s before the register's previous payment ended "
                                                "belongs to that sale: unused", scanned_at, cutoff)
            return True
        if waiting:
            waiting._mobilepay_lock(log_exceptions=False)  # waits: nobody holds a waiting row for long
            if waiting.awaiting_checkin and not waiting.is_final:
                if (waiting.create_date - scanned_at).total_seconds() > PARKED_CHECKIN_MAX_AGE_S:
                    # Scanned long before this payment started: another customer's scan, delivered late.
                    registration._mobilepay_log_checkin(
                        "a scan from %(age)s s before the waiting payment started: unused",
                        scanned_at, waiting.create_date,
                    )
                    return True
                waiting.write({"customer_input": token, "awaiting_checkin": False, "next_poll_at": utcnow()})
                waiting._mobilepay_log(_("The customer scanned the sticker: sending the payment to their app."))
                waiting._mobilepay_push()
                Transaction._mobilepay_trigger_poller()
                registration._mobilepay_notify_checkin()
                return True
        if not (registration.checkin_token and registration.checkin_at and registration.checkin_at > scanned_at):
            registration.write({"checkin_token": token, "checkin_at": scanned_at})
        registration._mobilepay_notify_checkin()
        return True

    def _mobilepay_notify_checkin(self):
        config = self.config_id
        config._notify("MOBILEPAY_CHECKIN", {"config_id": config.id, "beacon_id": self.beacon_id or False})
