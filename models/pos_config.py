from odoo import api, models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def write(self, vals):
        result = super().write(vals)
        if {"payment_method_ids", "active"} & set(vals):
            # A MobilePay method removed from a register (or an archived register): offboard its PoS.
            self.env["pos.mobilepay.registration"].sudo()._mobilepay_retire_unused(configs=self)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mobilepay_registrations(self):
        Registration = self.env["pos.mobilepay.registration"].sudo()
        Registration._mobilepay_delete_after_commit(Registration.search([("config_id", "in", self.ids)]))
