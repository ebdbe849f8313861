"""Vipps MobilePay ePayment settings of a payment method, its provider and its set-up actions.

Keys (client id and secret, subscription key, MSN) and the webhook secret are readable by
administrators only: they never reach the POS, the bus, logs or error messages.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config as odoo_config

from ..mobilepay.epayment.config import DEFAULT_PLUGIN_NAME, DEFAULT_SYSTEM_NAME, DEFAULT_SYSTEM_VERSION
from ..mobilepay.epayment.provider import make_provider as make_epayment_provider
from ..mobilepay.epayment.provider_terms import msisdn
from ..mobilepay.epayment.schemas import CHECKED_IN_EVENT
from ..mobilepay.epayment.signature import normalized_url
from ..mobilepay.errors import MobilePayError, MobilePayValidationError
from ..mobilepay.provider import PaymentFlow
from . import mobilepay_demo
from .mobilepay_flows import FLOW_SELECTION, MAX_PERSONAL_QR

_logger = logging.getLogger(__name__)

# System parameter: an ePayment emulator's URL that stands in for the test environment (never production).
TEST_STAND_IN_PARAMETER = "pos_mobilepay.epayment_test_url"
PLUGIN_VERSION = "19.0.1.2.0"  # the manifest's version (tests/test_upgrade.py checks)
WEBHOOK_ROUTE = "/pos_mobilepay/vipps/webhook"
EPAYMENT_ACCOUNT_FIELDS = (
    "mobilepay_api",
    "vipps_environment",
    "vipps_client_id",
    "vipps_client_secret",
    "vipps_subscription_key",
    "vipps_msn",
)
# The market a sales unit's currency means (ePayment API.md 6.1), for a company that names no country.
CURRENCY_COUNTRY_CODES = {"DKK": 45, "NOK": 47, "EUR": 358}


def _normalized_or_none(url):
    try:
        return normalized_url(url)
    except ValueError:
        return None


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    mobilepay_api = fields.Selection(
        selection=[("epayment", "Vipps MobilePay ePayment"), ("v10", "PoS API v10 (retired 2024)")],
        string="MobilePay API",
        default="epayment",
        help="Vipps MobilePay ePayment takes real payments today. The PoS API v10 was switched off in 2024; "
        "it still runs against the built-in emulator.",
    )
    vipps_environment = fields.Selection(
        selection=[
            ("demo", "Demo (built-in emulator)"),
            ("test", "Test (apitest.vipps.no)"),
            ("production", "Production"),
        ],
        string="Vipps MobilePay Environment",
        default=lambda self: self._mobilepay_default_environment("vipps_environment"),
        help="Demo needs no keys. Test and production are separate systems with their own keys.",
    )
    vipps_client_id = fields.Char(string="Client ID", groups="base.group_system", copy=False)
    vipps_client_secret = fields.Char(string="Client Secret", groups="base.group_system", copy=False)
    vipps_subscription_key = fields.Char(
        string="Subscription Key",
        groups="base.group_system",
        copy=False,
        help="Ocp-Apim-Subscription-Key, primary or secondary.",
    )
    vipps_msn = fields.Char(
        string="Merchant Serial Number",
        groups="base.group_system",
        copy=False,
        help="The sales unit's MSN, 4 to 6 digits.",
    )
    vipps_flow = fields.Selection(
        selection=FLOW_SELECTION,
        string="In-store Flow",
        default=PaymentFlow.QR_ON_SCREEN.value,
        help="How the payment reaches the customer. The QR, phone and personal-QR flows work without webhooks; "
        "the sticker flow needs the webhooks registered (a public HTTPS URL).",
    )
    vipps_system_name = fields.Char(string="System Name", default=DEFAULT_SYSTEM_NAME)
    vipps_system_version = fields.Char(string="System Version", default=DEFAULT_SYSTEM_VERSION)
    vipps_plugin_name = fields.Char(string="Plugin Name", default=DEFAULT_PLUGIN_NAME)
    vipps_plugin_version = fields.Char(string="Plugin Version", default=PLUGIN_VERSION)
    vipps_public_url = fields.Char(
        string="Public URL",
        help="The https address of this database as Vipps MobilePay reaches it (for webhooks). "
        "Empty: the database's web.base.url.",
    )
    vipps_webhook_id = fields.Char(string="Webhook Registration", readonly=True, copy=False)
    vipps_webhook_url = fields.Char(string="Webhook URL", readonly=True, copy=False)
    vipps_webhook_secret = fields.Char(groups="base.group_system", readonly=True, copy=False)
    # Vipps MobilePay takes one check-in registration per sales unit: check-ins have a registration of
    # their own (same URL), so payment events can be registered anew before the old registration goes.
    vipps_checkin_webhook_id = fields.Char(string="Check-in Webhook Registration", readonly=True, copy=False)
    vipps_checkin_webhook_secret = fields.Char(groups="base.group_system", readonly=True, copy=False)

    @api.constrains("vipps_msn", "vipps_system_name", "vipps_system_version", "vipps_plugin_name",
                    "vipps_plugin_version", "vipps_public_url")
    def _check_vipps_settings(self):
        for method in self.sudo().filtered(lambda m: m.use_payment_terminal == "mobilepay"):
            if method.vipps_msn and not (method.vipps_msn.isdigit() and 4 <= len(method.vipps_msn) <= 6):
                raise ValidationError(_("The Merchant Serial Number is 4 to 6 digits."))
            for label, value in ((_("System Name"), method.vipps_system_name),
                                 (_("System Version"), method.vipps_system_version),
                                 (_("Plugin Name"), method.vipps_plugin_name),
                                 (_("Plugin Version"), method.vipps_plugin_version)):
                if value and (len(value) > 30 or not value.isprintable()):
                    raise ValidationError(_("The %(field)s is at most 30 printable characters.", field=label))
            url = method.vipps_public_url
            if url and (not url.startswith(("https://", "http://")) or url != _normalized_or_none(url)):
                raise ValidationError(_("The public URL starts with https://."))

    # ------------------------------------------------------------------ the provider

    def _vipps_emulator_url(self):
        url = self.env["ir.config_parameter"].sudo().get_param(
            mobilepay_demo.EPAYMENT_URL_PARAMETER, mobilepay_demo.DEFAULT_EPAYMENT_URL
        )
        return (url or mobilepay_demo.DEFAULT_EPAYMENT_URL).rstrip("/")

    def _vipps_test_stand_in_url(self):
        """An emulator standing in for the test environment (a staging setup, or following the README
        without Vipps MobilePay's test keys): the system parameter TEST_STAND_IN_PARAMETER, http(s) URL
        of an ePayment emulator, used with the method's own keys. Never for production."""
        url = (self.env["ir.config_parameter"].sudo().get_param(TEST_STAND_IN_PARAMETER) or "").strip()
        return url.rstrip("/") if url.startswith(("http://", "https://")) else False

    def _vipps_provider(self):
        """The ``EPaymentProvider`` of this method's sales unit (or of the demo emulator)."""
        self.ensure_one()
        method = self.sudo()
        names = {
            "system_name": method.vipps_system_name,
            "system_version": method.vipps_system_version,
            "plugin_name": method.vipps_plugin_name,
            "plugin_version": method.vipps_plugin_version,
        }
        if method.vipps_environment == "demo":
            return make_epayment_provider(
                "emulator",
                client_id=mobilepay_demo.EPAYMENT_CLIENT_ID,
                client_secret=mobilepay_demo.EPAYMENT_CLIENT_SECRET,
                subscription_key=mobilepay_demo.EPAYMENT_SUBSCRIPTION_KEY,
                msn=mobilepay_demo.EPAYMENT_MSN,
                base_url=method._vipps_ensure_emulator(),
                **names,
            )
        missing = [
            label
            for label, value in (
                (_("Client ID"), method.vipps_client_id),
                (_("Client Secret"), method.vipps_client_secret),
                (_("Subscription Key"), method.vipps_subscription_key),
                (_("Merchant Serial Number"), method.vipps_msn),
            )
            if not value
        ]
        if missing:
            raise UserError(_("Vipps MobilePay needs: %(fields)s.", fields=", ".join(missing)))
        environment, base_url = method.vipps_environment or "production", None
        stand_in = environment == "test" and method._vipps_test_stand_in_url()
        if stand_in:
            environment, base_url = "emulator", stand_in  # the emulator plays the test environment
        return make_epayment_provider(
            environment,
            base_url=base_url,
            client_id=method.vipps_client_id,
            client_secret=method.vipps_client_secret,
            subscription_key=method.vipps_subscription_key,
            msn=method.vipps_msn,
            **names,
        )

    def _vipps_ensure_emulator(self):
        url = self._vipps_emulator_url()
        autostart = not odoo_config["test_enable"] or self.env.context.get("mobilepay_emulator_autostart")
        try:
            mobilepay_demo.ensure_running(
                url,
                autostart=autostart,
                program=mobilepay_demo.EPAYMENT_PROGRAM,
                purpose=self._mobilepay_demo_purpose(),
            )
        except mobilepay_demo.EmulatorUnavailable as error:
            raise UserError(
                _("The Vipps MobilePay demo emulator is not available: %(reason)s.", reason=error)
            ) from None
        return url

    def _vipps_flow(self):
        self.ensure_one()
        if self.mobilepay_api != "epayment":
            return PaymentFlow.QR_ON_SCREEN
        return PaymentFlow(self.vipps_flow or PaymentFlow.QR_ON_SCREEN.value)

    def _mobilepay_flow_and_customer(self, provider, request, kind):
        """The payment's flow (the method's, or the one the cashier chose) and what addresses the customer."""
        if kind == "refund":
            return PaymentFlow.QR_ON_SCREEN, None
        flow = self._vipps_flow()
        asked = request.get("flow")
        if asked:
            try:
                flow = PaymentFlow(asked)
            except ValueError:
                raise UserError(_("Unknown MobilePay payment flow %(flow)s.", flow=asked)) from None
        if flow not in provider.flows:
            raise UserError(_("%(method)s cannot take payments this way.", method=self.name))
        customer = request.get("customer")
        if flow is PaymentFlow.PHONE_NUMBER:
            # A number typed without its country code is one of the shop's country (not the currency's:
            # a Danish customer at a NOK till types +45); a foreign customer's number is typed with its code.
            country = request["config"].company_id.country_id.phone_code or CURRENCY_COUNTRY_CODES.get(
                request["currency"].name
            )  # a company without a country: the market of its currency
            try:
                return flow, msisdn(customer if isinstance(customer, str) else "", str(country) if country else None)
            except MobilePayValidationError as error:
                expected = getattr(error, "expected_length", None)
                if expected:
                    digits = (
                        str(expected.shortest)
                        if expected.shortest == expected.longest
                        else _("%(shortest)s to %(longest)s", shortest=expected.shortest, longest=expected.longest)
                    )
                    raise UserError(
                        _(
                            "A mobile number with +%(code)s has %(digits)s digits after the country code.",
                            code=expected.country_code,
                            digits=digits,
                        )
                    ) from None
                raise UserError(
                    _("The phone number must be a mobile number with its country code, e.g. +45 12 34 56 78.")
                ) from None
        if flow is PaymentFlow.PERSONAL_QR:
            if not isinstance(customer, str) or not 5 <= len(customer.strip()) <= MAX_PERSONAL_QR:
                raise UserError(_("Scan the customer's code from the MobilePay app first."))
            return flow, customer.strip()
        return flow, None


    # ------------------------------------------------------------------ webhooks

    @api.model
    def _vipps_normalize_values(self, vals):
        """A public URL is stored as Vipps MobilePay calls and signs it (``https://shop.example:443/`` ->
        ``https://shop.example``): a default port or a trailing slash would break every signature."""
        url = vals.get("vipps_public_url")
        if url:
            vals["vipps_public_url"] = _normalized_or_none(url) or url.strip()
        return vals

    def _mobilepay_sends_payment_events(self):
        """Whether MobilePay sends this database this method's payment events: only ePayment does (its
        webhooks), once they are registered (the PoS API v10 notifies check-ins only)."""
        self.ensure_one()
        return self.mobilepay_api == "epayment" and bool(self.sudo().vipps_webhook_id)

    def _vipps_webhook_target(self):
        """The URL Vipps MobilePay posts this method's events to."""
        self.ensure_one()
        base = (self.sudo().vipps_public_url or self.get_base_url() or "").rstrip("/")
        return normalized_url(f"{base}{WEBHOOK_ROUTE}/{self.id}")

    def _vipps_webhook_secrets(self):
        """(URL, secret) of each registration of ours that may sign a delivery: payment events, check-ins."""
        self.ensure_one()
        method = self.sudo()
        if method.use_payment_terminal != "mobilepay" or method.mobilepay_api != "epayment":
            return []
        url = method.vipps_webhook_url
        secrets = (method.vipps_webhook_secret, method.vipps_checkin_webhook_secret)
        return [(url, secret) for secret in secrets if url and secret]

    def _vipps_check_manager(self):
        if not self.env.user.has_group("point_of_sale.group_pos_manager"):
            raise UserError(_("Only Point of Sale administrators can set up Vipps MobilePay."))

    def action_vipps_register_webhooks(self):
        """Register this database's webhook URL for every payment event and for check-ins; store ids and secrets.

        Payment events are registered anew before our older registrations are deleted, so no event is
        lost on the way. Check-ins (the sticker flow only) allow one registration per sales unit: one of
        ours at the same URL is kept as it is; otherwise ours is deleted first, then registered again."""
        self.ensure_one()
        self._vipps_check_manager()
        method = self.sudo()
        url = method._vipps_webhook_target()
        if method.vipps_environment != "demo" and not url.startswith("https://"):
            raise UserError(_("Vipps MobilePay delivers webhooks to a public https:// address only: set the "
                              "Public URL of %(method)s first.", method=method.name))
        known = {method.vipps_webhook_id: method.vipps_webhook_secret,
                 method.vipps_checkin_webhook_id: method.vipps_checkin_webhook_secret}
        try:
            provider = method._vipps_provider()
            before = provider.webhook_registrations()
            ours = [r for r in before if r.url == url or r.id in known]
            payments = provider.register_webhooks(url, checkins=False)
        except MobilePayError as error:
            _logger.info("Vipps MobilePay webhook registration of method %s failed: %s", method.id, error)
            return self._mobilepay_notification(_("Webhooks not registered"), str(error), "danger")
        values = {"vipps_webhook_id": payments.id, "vipps_webhook_secret": payments.secret, "vipps_webhook_url": url}
        # Check-ins only for the sticker flow: a sales unit has one check-in registration, not to be taken
        # by a method that does not use it.
        wants_checkins = method._vipps_flow() is PaymentFlow.STICKER
        keep = wants_checkins and next(
            (r for r in ours if r.url == url and CHECKED_IN_EVENT in r.events and known.get(r.id)), None
        )
        checkin_problem = None
        values.update(vipps_checkin_webhook_id=False, vipps_checkin_webhook_secret=False)
        try:
            for registration in ours:
                if registration is not keep:
                    provider.delete_webhook(registration.id)
            if keep:
                values.update(vipps_checkin_webhook_id=keep.id, vipps_checkin_webhook_secret=known[keep.id])
            elif wants_checkins:
                checkins = provider.register_webhooks(url, payments=False)
                values.update(vipps_checkin_webhook_id=checkins.id, vipps_checkin_webhook_secret=checkins.secret)
        except MobilePayError as error:
            _logger.info("Vipps MobilePay check-in registration of method %s failed: %s", method.id, error)
            checkin_problem = str(error)
        method.write(values)
        if checkin_problem:
            return self._mobilepay_notification(
                _("Payment webhooks registered, check-ins not"),
                _("Payments are reported to %(url)s; check-ins (the sticker flow) are not: %(reason)s",
                  url=url, reason=checkin_problem),
                "warning",
            )
        if not wants_checkins:
            message = _("Vipps MobilePay now tells %(url)s about payments.", url=url)
        else:
            message = _("Vipps MobilePay now tells %(url)s about payments and check-ins.", url=url)
        return self._mobilepay_notification(_("Webhooks registered"), message, "success")

    def action_vipps_create_stickers(self):
        """Create (or update) the QR sticker of every register of this method (migrating v10 beacons)."""
        self.ensure_one()
        self._vipps_check_manager()
        method = self.sudo()
        Registration = self.env["pos.mobilepay.registration"].sudo()
        done = []
        try:
            provider = method._vipps_provider()
            for config in method.config_ids:
                registration = Registration._mobilepay_get_or_create(config, method)
                registration.write({"state": "draft"})
                registration._mobilepay_sync(provider)
                done.append(config.name)
        except (MobilePayError, UserError) as error:
            return self._mobilepay_notification(_("Stickers not created"), str(error), "danger")
        return self._mobilepay_notification(
            _("Stickers ready"),
            _("QR stickers for: %(registers)s. Print them from MobilePay Registrations.",
              registers=", ".join(done) or _("no register")),
            "success",
        )
