"""Age limits of what is sold: a product, or a POS category it is in, may ask for a customer of at least
some age. A Vipps MobilePay ePayment payment then carries ``minimumUserAge`` (API.md 7.1), taken from the
order as the server has it, never from the POS's word."""

from odoo import api, fields, models

AGE_HELP = (
    "Vipps MobilePay ePayment: a customer younger than this cannot approve a payment for an order with this "
    "product (checked in the customer's app). 0: no limit."
)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    vipps_minimum_age = fields.Integer(string="Minimum Customer Age", index=True, help=AGE_HELP)


class PosCategory(models.Model):
    _inherit = "pos.category"

    vipps_minimum_age = fields.Integer(string="Minimum Customer Age", index=True, help=AGE_HELP)

    @api.model
    def _mobilepay_age_limits_used(self):
        """Whether any product or category of the database has an age limit (then an order must be known
        to the server before a payment starts)."""
        return bool(
            self.env["product.template"].sudo().with_context(active_test=False).search_count(
                [("vipps_minimum_age", ">", 0)], limit=1
            )
            or self.sudo().search_count([("vipps_minimum_age", ">", 0)], limit=1)
        )
