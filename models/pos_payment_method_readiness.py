"""Demo can never pass for money, and keys are tested before they take money.

* A new MobilePay method starts in demo only in a database with demo data; elsewhere it starts in the
  test environment (v10: sandbox), where it takes no payment until its keys are set and *Test
  connection* passed. Demo is then an explicit choice, an administrator's.
* The POS learns whether a method is a demo one (``mobilepay_demo``: the dialog, the payment line
  and the receipt say "Demo — no money moves") and whether to warn at start that a demo method sits
  in a database without demo data (``mobilepay_demo_warning``).
* Keys that changed (or a new method) are untested until *Test connection* passes with them; an
  untested method that is not a demo one refuses to start a payment or a refund, before anything
  is made.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# The environment field of each API, and what a new method gets there outside a demo database.
ENVIRONMENT_FIELDS = {"mobilepay_environment": "sandbox", "vipps_environment": "test"}


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    mobilepay_demo = fields.Boolean(
        string="MobilePay Demo",
        compute="_compute_mobilepay_demo",
        help="Payments of this method go to the built-in emulator: no money moves.",
    )
    mobilepay_demo_warning = fields.Boolean(
        compute="_compute_mobilepay_demo",
        help="A demo method in a database without demo data: the POS warns when it opens.",
    )
    mobilepay_untested = fields.Boolean(
        string="Connection Not Tested",
        copy=False,
        readonly=True,
        help="Set for a new method and whenever its account or keys change; cleared when Test connection "
        "passes. A method that is not a demo one takes no payment while it is set.",
    )

    @api.depends("use_payment_terminal", "mobilepay_api", "mobilepay_environment", "vipps_environment")
    def _compute_mobilepay_demo(self):
        demo_database = self._mobilepay_database_has_demo()
        for method in self:
            demo = method.use_payment_terminal == "mobilepay" and method._mobilepay_is_demo()
            method.mobilepay_demo = demo
            method.mobilepay_demo_warning = demo and not demo_database

    @api.model
    def _mobilepay_database_has_demo(self):
        """Whether this database was made with demo data (then demo is every new method's default)."""
        self.env.cr.execute("SELECT demo FROM ir_module_module WHERE name = 'base'")
        row = self.env.cr.fetchone()
        return bool(row and row[0])

    @api.model
    def _mobilepay_default_environment(self, field_name):
        return "demo" if self._mobilepay_database_has_demo() else ENVIRONMENT_FIELDS[field_name]

    def _mobilepay_untested_values(self, vals, creating):
        """``vals`` with ``mobilepay_untested`` set where a create or an account change calls for it."""
        if "mobilepay_untested" in vals:
            return vals
        if creating:
            return dict(vals, mobilepay_untested=vals.get("use_payment_terminal") == "mobilepay")
        return dict(vals, mobilepay_untested=True)

    def _mobilepay_check_ready(self):
        """Refuse to take money with keys nobody tested (before anything is made)."""
        self.ensure_one()
        method = self.sudo()
        if method.mobilepay_untested and not method._mobilepay_is_demo():
            raise UserError(
                _(
                    "%(method)s is not ready: an administrator must set its keys and press Test connection "
                    "in the payment method's form before it takes payments.",
                    method=method.name,
                )
            )

    def _mobilepay_connection_passed(self):
        """Test connection passed with the keys as they are now."""
        self.sudo().write({"mobilepay_untested": False})
        _logger.info("MobilePay payment method %s: connection tested, ready for payments", self.id)

    def _mobilepay_demo_purpose(self):
        """Who starts the demo emulator, for the server log (only demo methods ever do)."""
        self.ensure_one()
        if not self._mobilepay_is_demo():
            raise UserError(_("%(method)s is not a demo method: it never uses the emulator.", method=self.name))
        return f"demo payment method {self.name!r} (id {self.id})"
