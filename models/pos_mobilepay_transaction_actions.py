"""The back office's buttons on MobilePay transactions (Point of Sale administrators only)."""

import logging

from odoo import _, models
from odoo.exceptions import AccessError

from .mobilepay_states import CAPTURED


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    # ------------------------------------------------------------------ back office buttons

    def _mobilepay_check_manager(self):
        if not self.env.user.has_group("point_of_sale.group_pos_manager"):
            raise AccessError(_("Only Point of Sale administrators can act on MobilePay transactions."))

    def action_mobilepay_capture(self):
        self._mobilepay_check_manager()
        for transaction in self.sudo():
            transaction._mobilepay_ask("capture", _("Capture asked by %(user)s.", user=self.env.user.name))
        return True

    def action_mobilepay_cancel(self):
        self._mobilepay_check_manager()
        for transaction in self.sudo():
            transaction._mobilepay_ask("cancel", _("Cancel asked by %(user)s.", user=self.env.user.name))
        return True

    def _mobilepay_ask(self, intent, message):
        """A manager's capture or cancel: the intent, logged once, then the step at once."""
        if self.intent != intent:
            self.write({"intent": intent})
            self._mobilepay_log(message)
        self._mobilepay_process()

    def action_mobilepay_poll(self):
        self._mobilepay_check_manager()
        self.sudo()._mobilepay_process()
        return True

    def action_mobilepay_accept_unbooked(self):
        """An administrator accepts captured money that no order books (so that its session may close)."""
        self._mobilepay_check_manager()
        for transaction in self.sudo():
            if transaction.state != CAPTURED or transaction.pos_payment_id or transaction.unbooked_accepted:
                continue
            transaction.write({"unbooked_accepted": True})
            transaction._mobilepay_log(
                _("Accepted by %(user)s as captured money that no order books.", user=self.env.user.name),
                level=logging.WARNING,
            )
        return True
