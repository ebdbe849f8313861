"""PoS API v10 settings of a payment method: the integrator's credentials, the merchant's store, the client
system's name and version, the check-in callback alias; their checks, its provider and its emulator.

Credentials are readable by administrators only: they never reach the POS, the bus, logs or error messages.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config as odoo_config

from ..mobilepay import formats
from ..mobilepay.v10 import formats as v10_formats
from ..mobilepay.v10.client import DEFAULT_SYSTEM_NAME, DEFAULT_SYSTEM_VERSION
from ..mobilepay.v10.provider import make_provider
from . import mobilepay_demo

# The v10 settings that change which MobilePay account (or store) the method talks to.
V10_ACCOUNT_FIELDS = (
    "mobilepay_environment",
    "mobilepay_client_id",
    "mobilepay_client_secret",
    "mobilepay_api_key",
    "mobilepay_merchant_vat",
    "mobilepay_merchant_brand_id",
    "mobilepay_merchant_location_id",
)


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    mobilepay_environment = fields.Selection(
        selection=[
            ("production", "Production"),
            ("sandbox", "Sandbox"),
            ("demo", "Demo (built-in emulator)"),
        ],
        string="MobilePay Environment",
        default=lambda self: self._mobilepay_default_environment("mobilepay_environment"),
        help="Demo talks to the MobilePay emulator shipped with this module and needs no credentials.",
    )
    mobilepay_client_id = fields.Char(
        string="MobilePay Client ID",
        groups="base.group_system",
        copy=False,
        help="The integrator's client id (OAuth2 client credentials).",
    )
    mobilepay_client_secret = fields.Char(
        string="MobilePay Client Secret",
        groups="base.group_system",
        copy=False,
    )
    mobilepay_api_key = fields.Char(
        string="MobilePay API Key",
        groups="base.group_system",
        copy=False,
        help="Sent as X-IBM-Client-Id. Leave empty to send the client id.",
    )
    mobilepay_merchant_vat = fields.Char(
        string="Merchant VAT Number",
        help="DK or FI followed by 8 digits, e.g. DK12345678.",
    )
    mobilepay_merchant_brand_id = fields.Char(
        string="Merchant Brand ID",
        help="MPPOS, POSDK or POSFI followed by 5 characters, e.g. MPPOS12345.",
    )
    mobilepay_merchant_location_id = fields.Char(
        string="Merchant Location ID",
        help="5 characters, e.g. 00001.",
    )
    mobilepay_store_id = fields.Char(
        string="MobilePay Store ID",
        readonly=True,
        copy=False,
        help="Resolved from the brand and location ids.",
    )
    mobilepay_store_name = fields.Char(string="MobilePay Store", readonly=True, copy=False)
    mobilepay_system_name = fields.Char(string="Client System Name", default=DEFAULT_SYSTEM_NAME)
    mobilepay_system_version = fields.Char(
        string="Client System Version",
        default=DEFAULT_SYSTEM_VERSION,
        help="Major.Minor.Build, as certified with MobilePay.",
    )
    mobilepay_callback_alias = fields.Char(
        string="Callback Alias",
        help="Alias MobilePay gave for this database's notification URL (/pos_mobilepay/notification). "
        "Optional: without it payments are polled at MobilePay's poll delay all along; with it, a payment "
        "nobody checked in to yet is polled every 5 seconds, and at once when the check-in is notified.",
    )

    @api.constrains(
        "use_payment_terminal",
        "mobilepay_environment",
        "mobilepay_merchant_vat",
        "mobilepay_merchant_brand_id",
        "mobilepay_merchant_location_id",
        "mobilepay_system_name",
        "mobilepay_system_version",
        "mobilepay_callback_alias",
    )
    def _check_mobilepay_settings(self):
        checks = (
            ("mobilepay_merchant_vat", v10_formats.check_vat_number, _("Merchant VAT Number")),
            ("mobilepay_merchant_brand_id", v10_formats.check_merchant_brand_id, _("Merchant Brand ID")),
            ("mobilepay_merchant_location_id", v10_formats.check_merchant_location_id, _("Merchant Location ID")),
            ("mobilepay_system_name", formats.check_text, _("Client System Name")),
            ("mobilepay_system_version", v10_formats.check_system_version, _("Client System Version")),
            ("mobilepay_callback_alias", formats.check_text, _("Callback Alias")),
        )
        for method in self.filtered(lambda m: m.use_payment_terminal == "mobilepay"):
            for field_name, check, label in checks:
                value = method[field_name]
                if not value:
                    continue
                try:
                    check(value)
                except ValueError as error:
                    raise ValidationError(
                        _("MobilePay: the %(field)s %(value)s %(problem)s.", field=label, value=value, problem=error)
                    ) from None
            if method.mobilepay_environment != "demo" and not method.journal_id:
                raise ValidationError(_("A MobilePay payment method needs a bank journal."))

    # ------------------------------------------------------------------ the provider

    def _mobilepay_v10_provider(self):
        """The ``MobilePayV10Provider`` of this method's account (or of the demo emulator)."""
        self.ensure_one()
        method = self.sudo()
        if method._mobilepay_is_demo():
            return make_provider(
                "emulator",
                client_id=mobilepay_demo.DEMO_CLIENT_ID,
                client_secret=mobilepay_demo.DEMO_CLIENT_SECRET,
                merchant_vat=mobilepay_demo.DEMO_MERCHANT_VAT,
                base_url=method._mobilepay_ensure_emulator(),
                system_name=method.mobilepay_system_name,
                system_version=method.mobilepay_system_version,
            )
        return make_provider(
            method.mobilepay_environment or "production",
            client_id=method.mobilepay_client_id,
            client_secret=method.mobilepay_client_secret,
            merchant_vat=method.mobilepay_merchant_vat,
            api_key=method.mobilepay_api_key,
            system_name=method.mobilepay_system_name,
            system_version=method.mobilepay_system_version,
        )

    def _mobilepay_emulator_url(self):
        url = self.env["ir.config_parameter"].sudo().get_param(mobilepay_demo.URL_PARAMETER, mobilepay_demo.DEFAULT_URL)
        return (url or mobilepay_demo.DEFAULT_URL).rstrip("/")

    def _mobilepay_ensure_emulator(self):
        """Demo mode: make sure the emulator answers (start it when allowed, see mobilepay_demo)."""
        url = self._mobilepay_emulator_url()
        # Tests start their own emulator; they never leave a detached one behind unless they ask to.
        autostart = not odoo_config["test_enable"] or self.env.context.get("mobilepay_emulator_autostart")
        try:
            mobilepay_demo.ensure_running(url, autostart=autostart, purpose=self._mobilepay_demo_purpose())
        except mobilepay_demo.EmulatorUnavailable as error:
            raise UserError(_("The MobilePay demo emulator is not available: %(reason)s.", reason=error)) from None
        return url

    def _mobilepay_store_ids(self):
        """(merchantBrandId, merchantLocationId) of the store this method takes payments for."""
        self.ensure_one()
        if self._mobilepay_is_demo():
            return mobilepay_demo.DEMO_MERCHANT_BRAND_ID, mobilepay_demo.DEMO_MERCHANT_LOCATION_ID
        if not (self.mobilepay_merchant_brand_id and self.mobilepay_merchant_location_id):
            raise UserError(_("Fill in the merchant brand id and location id of %(method)s first.", method=self.name))
        return self.mobilepay_merchant_brand_id, self.mobilepay_merchant_location_id

    def _mobilepay_resolve_store(self, provider=None):
        """The MobilePay storeId of this method (resolved once, then kept)."""
        self.ensure_one()
        method = self.sudo()
        if method.mobilepay_store_id:
            return method.mobilepay_store_id
        brand_id, location_id = method._mobilepay_store_ids()
        store = (provider or method._mobilepay_provider()).resolve_store(brand_id, location_id)
        method.write({"mobilepay_store_id": store.store_id, "mobilepay_store_name": store.name})
        return store.store_id
