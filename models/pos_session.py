import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from .mobilepay_states import CAPTURED

_logger = logging.getLogger(__name__)


class PosSession(models.Model):
    _inherit = "pos.session"

    mobilepay_unbooked_ids = fields.Many2many(
        "pos.mobilepay.transaction",
        compute="_compute_mobilepay_unbooked",
        string="MobilePay Money Not on an Order",
        help="Payments and refunds MobilePay captured for this session that no order books, and that no "
        "administrator has accepted as such.",
    )
    mobilepay_unbooked_count = fields.Integer(compute="_compute_mobilepay_unbooked")

    def _compute_mobilepay_unbooked(self):
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        for session in self:
            unbooked = Transaction.search(session._mobilepay_unbooked_domain()) if session.id else Transaction
            session.mobilepay_unbooked_ids = unbooked
            session.mobilepay_unbooked_count = len(unbooked)

    def _mobilepay_unbooked_domain(self):
        self.ensure_one()
        return [
            ("session_id", "=", self.id),
            ("state", "=", CAPTURED),
            ("pos_payment_id", "=", False),
            ("unbooked_accepted", "=", False),
        ]

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

    # ------------------------------------------------------------------ closing

    def _mobilepay_closing_problem(self):
        """Why this session may not close yet: MobilePay money that no order books (like Odoo's own check of
        draft orders). None when there is nothing."""
        self.ensure_one()
        unbooked = self.env["pos.mobilepay.transaction"].sudo().search(self._mobilepay_unbooked_domain())
        if not unbooked:
            return None
        return _(
            "MobilePay captured money that no order of this session books: %(transactions)s. Book it on an "
            "order, refund it, or have an administrator accept it on the transaction (MobilePay Transactions) "
            "before closing.",
            transactions=", ".join(
                f"{t.display_name} ({t.captured_amount or t.amount} {t.currency_id.name})" for t in unbooked[:10]
            ),
        )

    def _cannot_close_session(self, bank_payment_method_diffs=None):
        result = super()._cannot_close_session(bank_payment_method_diffs)
        if result:
            return result
        problem = self._mobilepay_closing_problem()
        if problem:
            return {"successful": False, "message": problem, "redirect": False}
        return result

    def action_pos_session_closing_control(self, balancing_account=False, amount_to_balance=0,
                                           bank_payment_method_diffs=None):
        for session in self:
            problem = session._mobilepay_closing_problem()
            if problem:
                raise UserError(problem)
        return super().action_pos_session_closing_control(
            balancing_account, amount_to_balance, bank_payment_method_diffs
        )

    def action_mobilepay_open_unbooked(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("MobilePay Money Not on an Order"),
            "res_model": "pos.mobilepay.transaction",
            "view_mode": "list,form",
            "domain": [("id", "in", self.mobilepay_unbooked_ids.ids)],
        }
