from odoo import fields, models

from .mobilepay_states import STATE_SELECTION
from .pos_mobilepay_transaction import utcnow


class PosMobilepayTransactionEvent(models.Model):
    """One line of a MobilePay transaction's history, readable by people."""

    _name = "pos.mobilepay.transaction.event"
    _description = "MobilePay Transaction Event"
    _order = "date desc, id desc"
    _rec_name = "message"

    transaction_id = fields.Many2one(
        "pos.mobilepay.transaction", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="transaction_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=lambda self: utcnow())
    message = fields.Text(required=True, readonly=True)
    state = fields.Selection(selection=STATE_SELECTION, readonly=True)
    provider_status = fields.Char(string="MobilePay Status", readonly=True)
