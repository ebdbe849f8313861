import math

from odoo import _, models
from odoo.exceptions import UserError

from .pos_payment import FINALIZED_ORDER_STATES

MAX_RECEIPT_LINES = 200


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

    # ------------------------------------------------------------------ what the customer's app shows

    def _mobilepay_for_payment(self, session, order_uuid):
        """The order a MobilePay payment of ``session`` is for, as the server has it (synced by the POS
        before the payment starts), or an empty recordset."""
        return self.sudo().search([("uuid", "=", order_uuid), ("session_id", "=", session.id)], limit=1)

    def _mobilepay_minimum_age(self):
        """The highest age limit of the order's products and of their POS categories (0: none)."""
        self.ensure_one()
        ages = [0]
        for line in self.lines:
            template = line.product_id.product_tmpl_id
            ages.append(template.vipps_minimum_age or 0)
            ages.extend(template.pos_categ_ids.mapped("vipps_minimum_age"))
        return max(ages)

    def _mobilepay_receipt_lines(self, amount, currency):
        """The order lines for the customer's app (ePayment ``receipt``), or None unless the payment pays the
        whole order (with split tenders the app shows the amount only)."""
        self.ensure_one()
        if currency.compare_amounts(self.amount_total, amount) != 0 or not 0 < len(self.lines) <= MAX_RECEIPT_LINES:
            return None
        lines = []
        for index, line in enumerate(self.lines, start=1):
            total = currency.round(line.price_subtotal_incl)
            tax = currency.round(line.price_subtotal_incl - line.price_subtotal)
            quantity = abs(line.qty) or 1
            percentages = line.tax_ids_after_fiscal_position.filtered(lambda t: t.amount_type == "percent")
            tax_percentage = int(round(sum(percentages.mapped("amount"))))
            if not all(math.isfinite(v) for v in (total, tax)):
                return None
            lines.append(
                {
                    "name": (line.full_product_name or line.product_id.display_name or "-")[:128],
                    "line_id": str(line.id or index),
                    "quantity": f"{quantity:.2f}",
                    "unit_price": f"{currency.round(total / quantity):.2f}",
                    "total": f"{total:.2f}",
                    "tax": f"{tax:.2f}",
                    "tax_percentage": max(0, min(100, tax_percentage)),
                    "discount": "0.00",
                }
            )
        if currency.compare_amounts(sum(float(line["total"]) for line in lines), amount) != 0:
            return None
        return lines

    def _mobilepay_order_data(self, session, order_uuid, amount, currency):
        """(minimum age, receipt lines) of a payment, from the order as the server has it. A shop that sells
        anything with an age limit needs the order on the server first (the POS syncs it before starting):
        the age limit is never the POS's word."""
        order = self._mobilepay_for_payment(session, order_uuid)
        if not order:
            if self.env["pos.category"]._mobilepay_age_limits_used():
                raise UserError(
                    _("The order is not saved on the server yet, and this shop sells products with an age limit: "
                      "remove the payment line and add it again.")
                )
            return 0, None
        return order._mobilepay_minimum_age(), order._mobilepay_receipt_lines(amount, currency)
