from odoo import models

from .pos_payment import FINALIZED_ORDER_STATES


class PosOrder(models.Model):
    _inherit = "pos.order"

    def _process_saved_order(self, draft):
        # An order synced from the POS as paid: its MobilePay lines are checked here, where an
        # error reaches the POS (core logs, and swallows, what action_pos_order_paid raises).
        if not draft:
            self.payment_ids._mobilepay_verify()
        return super()._process_saved_order(draft)

    def write(self, vals):
        finalizing = vals.get("state") in FINALIZED_ORDER_STATES
        if finalizing:
            # Before the state changes: whatever path finalizes the order, it is not finalized
            # with a MobilePay line the server did not see captured.
            self.payment_ids._mobilepay_verify()
        result = super().write(vals)
        if finalizing:
            # Lines added by this very write (sync_from_ui sends them with the state).
            self.payment_ids._mobilepay_verify()
        return result
