import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..mobilepay.errors import MobilePayConflict, MobilePayError, Reason
from .pos_payment_method_epayment import EPAYMENT_ACCOUNT_FIELDS
from .pos_payment_method_readiness import ENVIRONMENT_FIELDS
from .pos_payment_method_v10 import V10_ACCOUNT_FIELDS

_logger = logging.getLogger(__name__)

# Fields that change which MobilePay account (or store) the method talks to: the PoS
# registrations made with the old values must be made again.
ACCOUNT_FIELDS = (*V10_ACCOUNT_FIELDS, *EPAYMENT_ACCOUNT_FIELDS)
# Where the money goes and where MobilePay reports it: administrators only. A Point of Sale manager
# cannot switch a live method to demo (payments that move no money) nor send webhooks elsewhere.
ADMIN_ONLY_FIELDS = ("mobilepay_environment", "vipps_environment", "vipps_public_url")
# What a new method may start with without an administrator (besides the environment the database gives
# new methods: demo only where there is demo data, see pos_payment_method_readiness).
ADMIN_FREE_DEFAULTS = {
    "mobilepay_environment": (False,),
    "vipps_environment": (False,),
    "vipps_public_url": (False, ""),
}


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    mobilepay_phone_url = fields.Char(
        string="Customer Phone Page",
        compute="_compute_mobilepay_phone_url",
        help="In demo mode, play the customer on this page of the emulator.",
    )
    mobilepay_user_is_admin = fields.Boolean(
        compute="_compute_mobilepay_user_is_admin",
        help="Whether the current user may change where the money goes (environments, public URL).",
    )
    mobilepay_registration_ids = fields.One2many(
        "pos.mobilepay.registration", "payment_method_id", string="MobilePay Registrations"
    )

    # ------------------------------------------------------------------ standard hooks

    def _get_payment_terminal_selection(self):
        return super()._get_payment_terminal_selection() + [("mobilepay", "MobilePay")]

    @api.model
    def _load_pos_data_fields(self, config):
        # Only harmless fields: never a credential.
        return [
            *super()._load_pos_data_fields(config),
            "mobilepay_environment",
            "mobilepay_api",
            "vipps_flow",
            "mobilepay_demo",
            "mobilepay_demo_warning",
        ]

    def _is_write_forbidden(self, fields):
        # Technical fields we refresh while a session is open.
        return super()._is_write_forbidden(
            fields - {"mobilepay_store_id", "mobilepay_store_name", "mobilepay_untested", "vipps_webhook_id",
                      "vipps_webhook_url",
                      "vipps_webhook_secret", "vipps_checkin_webhook_id", "vipps_checkin_webhook_secret"}
        )

    @api.depends_context("uid")
    def _compute_mobilepay_user_is_admin(self):
        is_admin = self.env.su or self.env.user.has_group("base.group_system")
        for method in self:
            method.mobilepay_user_is_admin = is_admin

    @api.depends("mobilepay_environment", "use_payment_terminal", "mobilepay_api", "vipps_environment")
    def _compute_mobilepay_phone_url(self):
        for method in self:
            is_demo = method.use_payment_terminal == "mobilepay" and method._mobilepay_is_demo()
            epayment = method.mobilepay_api == "epayment"
            url = method._vipps_emulator_url() if epayment else method._mobilepay_emulator_url()
            method.mobilepay_phone_url = f"{url}/phone" if is_demo else False

    @api.onchange("use_payment_terminal")
    def _onchange_use_payment_terminal(self):
        result = super()._onchange_use_payment_terminal()
        if self.use_payment_terminal == "mobilepay" and not self.mobilepay_environment:
            self.mobilepay_environment = self._mobilepay_default_environment("mobilepay_environment")
        return result

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._mobilepay_untested_values(vals, creating=True) for vals in vals_list]
        for vals in vals_list:
            if vals.get("use_payment_terminal") == "mobilepay":
                vals.setdefault("payment_method_type", "terminal")  # the form shows "Integrate with: MobilePay"
        for vals in vals_list:
            self._mobilepay_check_admin_fields(vals)
            self._vipps_normalize_values(vals)
        return super().create(vals_list)

    def _mobilepay_check_admin_fields(self, vals):
        """Refuse what only an administrator may set (ADMIN_ONLY_FIELDS): changed values on a write, any
        other than the defaults on a create."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        for name in ADMIN_ONLY_FIELDS:
            if name not in vals:
                continue
            if self:
                changed = any((method.sudo()[name] or False) != (vals[name] or False) for method in self)
            else:
                allowed = ADMIN_FREE_DEFAULTS[name]
                if name in ENVIRONMENT_FIELDS:
                    allowed += (self._mobilepay_default_environment(name),)
                changed = vals[name] not in allowed
            if changed:
                raise AccessError(
                    _("Only administrators can change the %(field)s of a MobilePay payment method.",
                      field=self._fields[name].string)
                )

    def write(self, vals):
        if vals.get("use_payment_terminal") == "mobilepay" and "payment_method_type" not in vals:
            vals = dict(vals, payment_method_type="terminal")
        self._mobilepay_check_admin_fields(vals)
        vals = self._vipps_normalize_values(dict(vals))
        account_changed = any(name in vals for name in ACCOUNT_FIELDS)
        if account_changed and "mobilepay_store_id" not in vals:
            vals = dict(vals, mobilepay_store_id=False, mobilepay_store_name=False)
        if account_changed:
            vals = self._mobilepay_untested_values(vals, creating=False)  # new keys: test them first
        result = super().write(vals)
        registrations = self.sudo().mobilepay_registration_ids.filtered(
            lambda r: r.state not in ("deleted", "to_delete")
        )
        if account_changed:
            # Registered with another account or store: register again at the next session.
            registrations.write({"state": "draft", "pos_id": False})
        elif "mobilepay_callback_alias" in vals:
            # Part of the PoS at MobilePay (immutable there): checked and re-created at the next sync.
            registrations.filtered(lambda r: r.state == "registered").write({"state": "draft"})
        if {"config_ids", "active", "use_payment_terminal", "payment_method_type"} & set(vals):
            self.env["pos.mobilepay.registration"].sudo()._mobilepay_retire_unused(methods=self)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mobilepay_registrations(self):
        self.env["pos.mobilepay.registration"]._mobilepay_delete_after_commit(self.sudo().mobilepay_registration_ids)

    # ------------------------------------------------------------------ talking to MobilePay

    def _mobilepay_is_demo(self):
        self.ensure_one()
        if self.mobilepay_api == "epayment":
            return self.vipps_environment == "demo"
        return self.mobilepay_environment == "demo"

    def _mobilepay_account_environment(self):
        """Which API and environment this method's registrations were made in (they do not carry over)."""
        self.ensure_one()
        if self.mobilepay_api == "epayment":
            return f"epayment-{self.vipps_environment or 'demo'}"
        return self.mobilepay_environment

    def _mobilepay_provider(self):
        """The ``PaymentProvider`` of this method's MobilePay account (or of the demo emulator)."""
        self.ensure_one()
        method = self.sudo()
        if method.use_payment_terminal != "mobilepay" and not method.mobilepay_registration_ids:
            raise UserError(_("%(method)s is not a MobilePay payment method.", method=method.name))
        try:
            if method.mobilepay_api == "epayment":
                return method._vipps_provider()
            return method._mobilepay_v10_provider()
        except (MobilePayError, ValueError) as error:
            raise UserError(
                _("MobilePay is not set up correctly on %(method)s: %(reason)s", method=method.name, reason=error)
            ) from None

    def _mobilepay_ready_registration(self, config, provider):
        """This config's MobilePay PoS, registered (again) now if needed."""
        registration = self.env["pos.mobilepay.registration"].sudo()._mobilepay_get_or_create(config, self)
        self.env.cr.execute("SELECT id FROM pos_mobilepay_registration WHERE id = %s FOR UPDATE", (registration.id,))
        registration.invalidate_recordset()
        if (
            not registration._mobilepay_claim_identity()
            and registration.state == "registered"
            and registration.pos_id
            and registration.environment == self.sudo()._mobilepay_account_environment()
        ):
            return registration
        try:
            registration._mobilepay_sync(provider)
        except MobilePayError as error:
            registration.write({"state": "error", "last_error": str(error)})
            registration._mobilepay_commit()
            if isinstance(error, MobilePayConflict) and error.reason is Reason.BEACON_IN_USE:
                raise UserError(
                    _("The beacon id of %(pos)s is already used by another MobilePay PoS.", pos=config.name)
                ) from None
            raise UserError(
                _("MobilePay could not register %(pos)s: %(reason)s", pos=config.name, reason=error)
            ) from None
        registration._mobilepay_commit()
        return registration

    def action_mobilepay_test_connection(self):
        """Authenticate, find the store, and say what came out of it (a notification)."""
        self.ensure_one()
        if not self.env.user.has_group("point_of_sale.group_pos_manager"):
            raise UserError(_("Only Point of Sale administrators can test the MobilePay connection."))
        method = self.sudo()
        try:
            provider = method._mobilepay_provider()
            summary = provider.test_connection()
            if not provider.has_store_lookup:  # the keys choose the sales unit
                method._mobilepay_connection_passed()
                return self._mobilepay_notification(_("Vipps MobilePay connection works"), summary, "success")
            brand_id, location_id = method._mobilepay_store_ids()
            store = provider.resolve_store(brand_id, location_id)
        except (MobilePayError, UserError) as error:
            _logger.info("MobilePay connection test of payment method %s failed: %s", method.id, error)
            return self._mobilepay_notification(
                _("MobilePay connection failed"),
                _("%(reason)s", reason=str(error)),
                "danger",
            )
        method.write({"mobilepay_store_id": store.store_id, "mobilepay_store_name": store.name})
        method._mobilepay_connection_passed()
        return self._mobilepay_notification(
            _("MobilePay connection works"),
            _(
                "%(summary)s Store: %(store)s (%(brand)s), %(address)s.",
                summary=summary,
                store=store.name,
                brand=store.brand_name,
                address=store.address,
            ),
            "success",
        )

    @staticmethod
    def _mobilepay_notification(title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def action_mobilepay_open_registrations(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("MobilePay Registrations"),
            "res_model": "pos.mobilepay.registration",
            "view_mode": "list,form",
            "domain": [("payment_method_id", "=", self.id)],
            "context": {"active_test": False},
        }
