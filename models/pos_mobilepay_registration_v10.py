"""The PoS API v10 side of a register's registration: the beacon types its PoS supports, the emulator's
phone page for its beacon, and the check-in notification MobilePay sends to its callback alias."""

import logging

import psycopg2
import requests

from odoo import api, fields, models

from . import mobilepay_demo
from .pos_mobilepay_transaction import utcnow

_logger = logging.getLogger(__name__)


class PosMobilepayRegistration(models.Model):
    _inherit = "pos.mobilepay.registration"

    beacon_qr = fields.Boolean(string="QR Code", default=True)
    beacon_nfc = fields.Boolean(string="NFC")
    beacon_bluetooth = fields.Boolean(string="Bluetooth")
    phone_url = fields.Char(string="Customer Phone Page", compute="_compute_phone_url")

    @api.depends("beacon_id", "payment_method_id.mobilepay_environment")
    def _compute_phone_url(self):
        for registration in self:
            method = registration.payment_method_id
            if method.mobilepay_environment == "demo" and registration.beacon_id:
                registration.phone_url = f"{method._mobilepay_emulator_url()}/phone?beaconId={registration.beacon_id}"
            else:
                registration.phone_url = False

    def _mobilepay_beacon_types(self):
        self.ensure_one()
        types = []
        if self.beacon_qr:
            types.append("QR")
        if self.beacon_nfc:
            types.append("NFC")
        if self.beacon_bluetooth:
            types.append("Bluetooth")
        return tuple(types)

    def _mobilepay_register_demo_callback(self):
        """Demo mode with a callback alias: tell the emulator where the check-in notification goes."""
        method = self.payment_method_id.sudo()
        if not (method.mobilepay_api == "v10" and method._mobilepay_is_demo() and method.mobilepay_callback_alias):
            return
        url = self.get_base_url().rstrip("/") + "/pos_mobilepay/notification"
        try:
            requests.post(
                f"{method._mobilepay_emulator_url()}/emulator/register-callback",
                json={"alias": method.mobilepay_callback_alias, "url": url},
                timeout=2,
            )
        except requests.RequestException as error:
            _logger.info("MobilePay demo: could not register the callback with the emulator: %s", error)

    @api.model
    def _mobilepay_on_checkin(self, body):
        """A check-in notification (already validated): look at this PoS now. Returns whether it is ours.

        The PoS must match on both PosId and MerchantPosId (which names this database and
        the POS config), and on the brand and location when the body gives them, so a
        notification can never reach another company's register.
        """
        registration = self.sudo().search(
            [
                ("pos_id", "=", body["PosId"]),
                ("merchant_pos_id", "=", body["MerchantPosId"]),
                ("state", "=", "registered"),
            ],
            limit=1,
        )
        if not registration:
            return False
        method = registration.payment_method_id
        if method._mobilepay_is_demo():
            brand_id, location_id = mobilepay_demo.DEMO_MERCHANT_BRAND_ID, mobilepay_demo.DEMO_MERCHANT_LOCATION_ID
        else:
            brand_id, location_id = method.mobilepay_merchant_brand_id, method.mobilepay_merchant_location_id
        if (body.get("MerchantBrandId") and brand_id and body["MerchantBrandId"] != brand_id) or (
            body.get("MerchantLocationId") and location_id and body["MerchantLocationId"] != location_id
        ):
            _logger.warning("MobilePay notification for PoS %s names another store: ignored", registration.pos_id)
            return False
        config = registration.config_id
        config._notify("MOBILEPAY_CHECKIN", {"config_id": config.id, "beacon_id": registration.beacon_id or False})
        # The customer is at the till: this PoS's waiting payments are due at once (the poller
        # reads this when it claims, so a payment whose create is still on its way is not missed).
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE pos_mobilepay_registration SET checkin_notified_at = %s WHERE id = %s",
                    (utcnow(), registration.id),
                )
        except psycopg2.errors.SerializationFailure:
            # Another request wrote this PoS at the same moment, typically the same check-in told
            # twice: its time stands (and a waiting payment is polled within seconds anyway).
            _logger.info("MobilePay: check-in at PoS %s noted by a concurrent request", registration.pos_id)
        registration.invalidate_recordset(["checkin_notified_at"])
        self.env["pos.mobilepay.transaction"]._mobilepay_trigger_poller()
        return True
