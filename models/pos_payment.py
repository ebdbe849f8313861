from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

FINALIZED_ORDER_STATES = ("paid", "done", "invoiced")


class PosPayment(models.Model):
    _inherit = "pos.payment"

    def write(self, vals):
        if {"amount", "payment_method_id"} & set(vals):
            self._mobilepay_check_edit(vals)
        return super().write(vals)

    def _mobilepay_check_edit(self, vals):
        """A finalized order's MobilePay payment is money MobilePay moved: it is not edited, it is refunded.

        Core's "Edit payment" (receipt screen) opens the order form, where a payment's method
        or amount could otherwise be changed into, or out of, a MobilePay payment that the
        server never saw captured.
        """
        new_method = self.env["pos.payment.method"].browse(vals.get("payment_method_id"))
        for payment in self:
            if payment.pos_order_id.state not in FINALIZED_ORDER_STATES:
                continue
            method_changes = bool(new_method) and new_method != payment.payment_method_id
            amount_changes = "amount" in vals and float_compare(
                vals["amount"], payment.amount, precision_rounding=payment.currency_id.rounding or 0.01
            )
            involved = payment.payment_method_id.use_payment_terminal == "mobilepay" or (
                method_changes and new_method.use_payment_terminal == "mobilepay"
            )
            if involved and (method_changes or amount_changes):
                raise UserError(
                    _(
                        "The MobilePay payment of %(order)s cannot be edited: MobilePay moved that money. "
                        "Refund the order instead.",
                        order=payment.pos_order_id.name,
                    )
                )
