import logging

from odoo import models

_logger = logging.getLogger(__name__)


class PosSession(models.Model):
    _inherit = "pos.session"

    def action_pos_session_open(self):
        to_open = self.filtered(lambda session: session.state == "opening_control")
        result = super().action_pos_session_open()
        # Check (or make) the MobilePay PoS of the register. Each registration is synced and
        # committed in a cursor of its own, and a MobilePay outage is only logged (and kept
        # on the registration): it never stops the session from opening.
        Registration = self.env["pos.mobilepay.registration"].sudo()
        for config in to_open.config_id:
            Registration._mobilepay_sync_config(config)
        return result
