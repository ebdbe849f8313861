import logging
from datetime import timedelta

from odoo import api, fields, models

from .mobilepay_states import STATE_SELECTION
from .pos_mobilepay_transaction import utcnow

_logger = logging.getLogger(__name__)

RETENTION_PARAMETER = "pos_mobilepay.event_retention_days"
DEFAULT_RETENTION_DAYS = 180


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

    @api.model
    def _cron_mobilepay_gc_events(self):
        """Delete history lines older than the retention (days) of finished transactions; transactions stay."""
        days = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAMETER, DEFAULT_RETENTION_DAYS)
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = DEFAULT_RETENTION_DAYS
        if days <= 0:
            return 0  # 0 keeps everything
        old = self.sudo().search(
            [("date", "<", utcnow() - timedelta(days=days)), ("transaction_id.is_final", "=", True)]
        )
        count = len(old)
        old.unlink()
        _logger.info("MobilePay: removed %s history lines older than %s days", count, days)
        return count
