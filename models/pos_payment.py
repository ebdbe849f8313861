from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .mobilepay_states import CAPTURED

FINALIZED_ORDER_STATES = ("paid", "done", "invoiced")


class PosPayment(models.Model):
    _inherit = "pos.payment"

    @api.model_create_multi
    def create(self, vals_list):
        self._mobilepay_refuse_booked_lines(vals_list)
        payments = super().create(vals_list)
        # A draft order's lines are checked when the order is finalized (pos.order.write).
        payments.filtered(lambda p: p.pos_order_id.state in FINALIZED_ORDER_STATES)._mobilepay_verify()
        return payments

    def write(self, vals):
        if {"amount", "payment_method_id"} & set(vals):
            self._mobilepay_check_edit(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_finalized_mobilepay(self):
        for payment in self:
            if (
                payment.payment_method_id.use_payment_terminal == "mobilepay"
                and payment.pos_order_id.state in FINALIZED_ORDER_STATES
            ):
                raise UserError(
                    _(
                        "The MobilePay payment of %(order)s cannot be deleted: MobilePay moved that money. "
                        "Refund the order instead.",
                        order=payment.pos_order_id.name,
                    )
                )

    def _mobilepay_refuse_booked_lines(self, vals_list):
        """A MobilePay line whose uuid is already booked gets the cashier's words, not the uuid's SQL constraint."""
        methods = self.env["pos.payment.method"].browse(
            {vals["payment_method_id"] for vals in vals_list if vals.get("payment_method_id")}
        ).filtered(lambda m: m.use_payment_terminal == "mobilepay")
        wanted = [v for v in vals_list if v.get("uuid") and v.get("payment_method_id") in methods.ids]
        if not wanted:
            return
        booked = self.sudo().search([("uuid", "in", [v["uuid"] for v in wanted])])
        for vals in wanted:
            existing = booked.filtered(lambda p, vals=vals: p.uuid == vals["uuid"])[:1]
            if not existing:
                continue
            if (vals.get("amount") or 0) < 0:
                problem = _("MobilePay has not captured a refund for this line.")
            else:
                problem = _(
                    "its MobilePay transaction is already booked on %(order)s.", order=existing.pos_order_id.name
                )
            order = self.env["pos.order"].browse(vals.get("pos_order_id"))
            raise self._mobilepay_refusal(vals.get("amount"), order.name or "", problem)

    def _mobilepay_refusal(self, amount, order_name, problem):
        return UserError(
            _(
                "The MobilePay line of %(amount)s on %(order)s cannot be booked: %(problem)s",
                amount=amount,
                order=order_name,
                problem=problem,
            )
        )

    def _mobilepay_verify(self):
        """Every MobilePay payment line must be money the server saw MobilePay capture.

        A payment line (amount > 0) matches a captured MobilePay payment, a refund line
        (amount < 0) a captured MobilePay refund: of the same POS config and payment method,
        for the same line (its uuid), amount and currency, and not claimed by another line.
        The match is recorded on the transaction, so it is used once. Anything else is
        refused: a POS (tampered with or not) cannot book MobilePay money that was not taken.
        """
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        for payment in self.filtered(lambda p: p.payment_method_id.use_payment_terminal == "mobilepay"):
            order = payment.pos_order_id
            kind = "refund" if payment.amount < 0 else "payment"
            transaction = Transaction.search(
                [
                    ("kind", "=", kind),
                    ("line_uuid", "=", payment.uuid),
                    ("config_id", "=", order.config_id.id),
                    ("payment_method_id", "=", payment.payment_method_id.id),
                    ("state", "=", CAPTURED),
                ],
                limit=1,
            )
            if transaction.pos_payment_id == payment:
                continue
            currency = payment.currency_id or order.currency_id
            problem = None
            if not transaction:
                problem = (
                    _("MobilePay has not captured a refund for this line.")
                    if kind == "refund"
                    else _("MobilePay has not captured a payment for this line.")
                )
            elif transaction.pos_payment_id:
                problem = _("its MobilePay transaction is already booked on %(order)s.", order=transaction.order_name)
            elif transaction.currency_id != currency:
                problem = _("MobilePay took %(currency)s.", currency=transaction.currency_id.name)
            elif currency.compare_amounts(transaction.captured_amount or transaction.amount, abs(payment.amount)):
                problem = _(
                    "MobilePay captured %(captured)s, the line says %(amount)s.",
                    captured=transaction.captured_amount or transaction.amount,
                    amount=abs(payment.amount),
                )
            elif kind == "payment" and transaction.payment_method_id.mobilepay_api == "epayment" and (
                order._mobilepay_minimum_age() > (transaction.minimum_user_age or 0)
            ):
                # The payment asked Vipps MobilePay for a younger customer than the order's products need
                # (the POS pointed at another order, or added to this one after the payment started).
                problem = _(
                    "the order has products for customers of at least %(age)s, and the payment did not ask "
                    "MobilePay to check the customer's age.",
                    age=order._mobilepay_minimum_age(),
                )
            if problem:
                raise self._mobilepay_refusal(payment.amount, order.name or order.pos_reference, problem)
            transaction.write({"pos_payment_id": payment.id})

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
