"""What only the Vipps MobilePay ePayment API needs of a transaction: its payment events (webhooks) make
the transaction due, so the poller reads the payment back at once (API.md 10)."""

from odoo import api, models

from .pos_mobilepay_transaction import utcnow


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    @api.model
    def _mobilepay_on_payment_notice(self, method, notice):
        """A verified ePayment event of ``method``: its transaction is due now (the poller reads the payment
        back; the event itself never moves money). Returns whether the payment is ours."""
        domain = [("payment_method_id", "=", method.id), ("provider_payment_id", "=", notice.payment_id)]
        if notice.event == "REFUNDED" and notice.idempotency_key:
            domain += [("kind", "=", "refund"), ("idempotency_key", "=", notice.idempotency_key)]
        else:
            domain += [("kind", "=", "payment")]
        transactions = self.sudo().search(domain + [("is_final", "=", False)])
        if not transactions:
            return bool(self.sudo().search_count(domain, limit=1))
        now = utcnow()
        # Only rows nobody holds: one being worked on is looked at by its worker anyway.
        self.env.cr.execute(
            "UPDATE pos_mobilepay_transaction SET next_poll_at = %s WHERE id IN %s AND awaiting_checkin IS NOT TRUE "
            "AND state NOT IN ('new', 'unknown') AND (next_poll_at IS NULL OR next_poll_at > %s) "
            "AND id IN (SELECT id FROM pos_mobilepay_transaction WHERE id IN %s FOR UPDATE SKIP LOCKED)",
            (now, tuple(transactions.ids), now, tuple(transactions.ids)),
        )
        transactions.invalidate_recordset(["next_poll_at"])
        self._mobilepay_trigger_poller()
        return True
