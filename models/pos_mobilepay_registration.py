"""A POS register's place at MobilePay (one per POS config and MobilePay payment method): what both APIs
share. The v10 PoS's own part is in pos_mobilepay_registration_v10.py, the ePayment sticker and its
check-ins in pos_mobilepay_registration_epayment.py, the deletion at MobilePay in
pos_mobilepay_registration_offboarding.py."""

import base64
import hashlib
import logging
from contextlib import contextmanager

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..mobilepay import formats, qr
from ..mobilepay.errors import MobilePayError, outcome_unknown
from ..mobilepay.idempotency import new_idempotency_key
from ..mobilepay.provider import PosSpec
from .mobilepay_states import FINAL_STATES

_logger = logging.getLogger(__name__)

DEFAULT_POS_NAME = "Odoo POS"


class PosMobilepayRegistration(models.Model):
    """One POS register known to MobilePay as a PoS (per POS config and MobilePay payment method)."""

    _name = "pos.mobilepay.registration"
    _description = "MobilePay PoS Registration"
    _order = "config_id, id"
    _check_company_auto = True

    name = fields.Char(
        string="Name in the App",
        required=True,
        help="Shown in the customer's MobilePay app after check-in (at most 36 characters).",
    )
    active = fields.Boolean(default=True)
    config_id = fields.Many2one(
        "pos.config", string="Point of Sale", required=True, ondelete="cascade", index=True, check_company=True
    )
    payment_method_id = fields.Many2one(
        "pos.payment.method",
        string="Payment Method",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one("res.company", related="config_id.company_id", store=True, readonly=True, index=True)
    merchant_pos_id = fields.Char(string="Merchant PoS ID", readonly=True, copy=False, index=True)
    fixed_beacon_id = fields.Char(
        string="Fixed Beacon ID",
        help="The 15-digit or GUID beacon id of a physical device or printed sticker. "
        "Leave empty to let MobilePay generate one for the QR code.",
    )
    state = fields.Selection(
        selection=[
            ("draft", "Not registered"),
            ("registered", "Registered"),
            ("error", "Error"),
            ("to_delete", "To delete"),
            ("deleted", "Deleted"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
    )
    environment = fields.Char(readonly=True, copy=False, help="Environment the PoS was registered in.")
    store_id = fields.Char(string="Store ID", readonly=True, copy=False)
    pos_id = fields.Char(string="MobilePay PoS ID", readonly=True, copy=False, index=True)
    beacon_id = fields.Char(string="Beacon ID", readonly=True, copy=False)
    qr_payload = fields.Char(string="QR Content", readonly=True, copy=False)
    qr_image = fields.Binary(string="QR Code Image", compute="_compute_qr_image")
    idempotency_key = fields.Char(readonly=True, copy=False, help="Key of the last create call, stored before it.")
    checkin_notified_at = fields.Datetime(
        string="Last Check-in Notification",
        readonly=True,
        copy=False,
        help="When MobilePay last notified that a customer checked in at this PoS.",
    )
    idempotency_spec = fields.Char(readonly=True, copy=False)
    last_sync = fields.Datetime(string="Last Synchronisation", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    transaction_ids = fields.One2many("pos.mobilepay.transaction", "registration_id", string="Transactions")

    _config_method_uniq = models.Constraint(
        "unique(config_id, payment_method_id)", "A POS has one registration per method."
    )
    _merchant_pos_id_uniq = models.Constraint("unique(merchant_pos_id)", "The merchant PoS id must be unique.")
    _fixed_beacon_method_uniq = models.Constraint(
        "unique(payment_method_id, fixed_beacon_id)",
        "Two registers of one payment method cannot share a sticker (fixed beacon id): a scan would reach "
        "either register.",
    )

    def init(self):
        # A check-in is routed by (payment method, sticker id): one live registration per sticker. A
        # database that has two already keeps working (the administrator is told; the upgrade goes on).
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    """
                    CREATE UNIQUE INDEX IF NOT EXISTS pos_mobilepay_registration_method_pos_uniq
                        ON pos_mobilepay_registration (payment_method_id, pos_id)
                     WHERE pos_id IS NOT NULL AND state NOT IN ('to_delete', 'deleted')
                    """
                )
        except psycopg2.Error as error:
            _logger.warning("MobilePay: two registrations share a sticker; give each register its own (%s)", error)

    @api.depends("qr_payload")
    def _compute_qr_image(self):
        for registration in self:
            registration.qr_image = (
                base64.b64encode(qr.qr_png(registration.qr_payload, box_size=8)) if registration.qr_payload else False
            )

    @api.constrains("fixed_beacon_id", "name", "beacon_qr", "beacon_nfc", "beacon_bluetooth")
    def _check_pos_settings(self):
        for registration in self:
            if registration.fixed_beacon_id:
                try:
                    formats.check_beacon_id(registration.fixed_beacon_id.strip())
                except ValueError:
                    raise ValidationError(
                        _("The beacon id %(beacon)s must be 15 digits or a GUID.", beacon=registration.fixed_beacon_id)
                    ) from None
            if not (registration.beacon_qr or registration.beacon_nfc or registration.beacon_bluetooth):
                raise ValidationError(_("Choose at least one way customers check in (QR code, NFC or Bluetooth)."))
            if not formats.clean_text(registration.name or ""):
                raise ValidationError(_("The name shown in the MobilePay app must contain valid characters."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            config = self.env["pos.config"].browse(vals["config_id"])
            vals.setdefault("name", formats.clean_text(config.name or "") or DEFAULT_POS_NAME)
            vals.setdefault("merchant_pos_id", self._mobilepay_merchant_pos_id(config, vals["payment_method_id"]))
        return super().create(vals_list)

    def write(self, vals):
        result = super().write(vals)
        # A PoS is immutable at MobilePay: a changed setting means registering again.
        if {"name", "fixed_beacon_id", "beacon_qr", "beacon_nfc", "beacon_bluetooth"} & set(vals):
            self.filtered(lambda r: r.state == "registered").write({"state": "draft"})
        return result

    @api.model
    def _mobilepay_database_tag(self):
        """12 hex characters naming this database: its uuid and its name, hashed.

        Odoo gives a duplicated database a new uuid; a copy made behind Odoo's back
        (createdb -T) keeps the uuid but has another name. Either way the tag differs,
        so two databases never claim each other's MobilePay PoS.
        """
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "") or ""
        return hashlib.sha256(f"{database_uuid}:{self.env.cr.dbname}".encode()).hexdigest()[:12]

    @api.model
    def _mobilepay_merchant_pos_id(self, config, payment_method_id):
        """``odoo-<database tag>-c<config>-m<method>``: unique across companies (ids) and databases, <= 36."""
        merchant_pos_id = f"odoo-{self._mobilepay_database_tag()}-c{config.id}-m{payment_method_id}"
        return formats.check_text(merchant_pos_id)

    def _mobilepay_claim_identity(self):
        """Make sure the registration carries this database's merchantPosId.

        A copied database (a staging copy, a restored backup under another name) still holds
        the original's merchantPosId and posId: it must never act on that PoS (its recovery of a
        payment already active there would cancel the original's payments). Such a registration
        forgets the PoS and is registered afresh under its own merchantPosId. Returns True when it
        was reset.
        """
        reset = self.browse()
        for registration in self:
            expected = self._mobilepay_merchant_pos_id(registration.config_id, registration.payment_method_id.id)
            if registration.merchant_pos_id != expected:
                reset |= registration
                _logger.warning(
                    "MobilePay: registration %s holds merchantPosId %s of another database: registering as %s",
                    registration.id,
                    registration.merchant_pos_id,
                    expected,
                )
                registration.write(
                    {
                        "merchant_pos_id": expected,
                        "state": "draft",
                        "pos_id": False,
                        "beacon_id": False,
                        "qr_payload": False,
                        "store_id": False,
                        "idempotency_key": False,
                        "idempotency_spec": False,
                    }
                )
        return bool(reset)

    # ------------------------------------------------------------------ helpers

    def _mobilepay_spec(self, store_id):
        """The ``PosSpec`` this registration asks MobilePay for (each API's file adds its own part)."""
        self.ensure_one()
        method = self.payment_method_id.sudo()
        return PosSpec(
            merchant_pos_id=self.merchant_pos_id,
            name=formats.clean_text(self.name or "") or DEFAULT_POS_NAME,
            store_id=store_id,
            beacon_id=(self.fixed_beacon_id or "").strip() or None,
            supported_beacon_types=self._mobilepay_beacon_types(),
            callback_alias=(method.mobilepay_callback_alias or "").strip() or None,
        )

    @staticmethod
    def _mobilepay_spec_digest(spec):
        text = repr(sorted(spec.__dict__.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _mobilepay_unsettled_transactions(self):
        """Payments on this PoS that are not final (reserved ones included)."""
        return (
            self.env["pos.mobilepay.transaction"]
            .sudo()
            .search(
                [
                    ("registration_id", "in", self.ids),
                    ("kind", "=", "payment"),
                    ("state", "not in", list(FINAL_STATES)),
                ]
            )
        )

    @contextmanager
    def _mobilepay_own_cursor(self):
        """See pos.mobilepay.transaction._mobilepay_own_cursor."""
        with self.env["pos.mobilepay.transaction"]._mobilepay_own_cursor() as env:
            yield env

    # ------------------------------------------------------------------ sync

    @api.model
    def _mobilepay_get_or_create(self, config, method):
        registration = (
            self.sudo()
            .with_context(active_test=False)
            .search([("config_id", "=", config.id), ("payment_method_id", "=", method.id)], limit=1)
        )
        if not registration:
            registration = self.sudo().create({"config_id": config.id, "payment_method_id": method.id})
        elif not registration.active or registration.state in ("to_delete", "deleted"):
            registration.write({"active": True, "state": "draft"})
        return registration

    def _mobilepay_sync(self, provider=None):
        """Make sure MobilePay knows this PoS as configured (API.md section 12, step 3).

        The create call's idempotency key is committed before the call. Runs in the
        caller's cursor: callers that must survive a MobilePay outage catch the error
        (``_mobilepay_sync_safely``). Returns the registration.
        """
        self.ensure_one()
        registration = self.sudo()
        registration._mobilepay_claim_identity()
        method = registration.payment_method_id
        provider = provider or method._mobilepay_provider()
        store_id = method._mobilepay_resolve_store(provider) if provider.has_store_lookup else ""
        spec = registration._mobilepay_spec(store_id)
        digest = registration._mobilepay_spec_digest(spec)
        if registration.idempotency_spec != digest or not registration.idempotency_key:
            registration.write({"idempotency_key": new_idempotency_key(), "idempotency_spec": digest})
        registration._mobilepay_commit()
        try:
            result = provider.ensure_pos(spec, registration.idempotency_key)
        except MobilePayError as error:
            values = {"state": "error", "last_error": str(error)}
            if not outcome_unknown(error):
                # A definite answer: MobilePay keeps it under this key; the next try needs a new one.
                values.update(idempotency_key=False, idempotency_spec=False)
            registration.write(values)
            raise
        values = {
            # The create's answer is stored: a later registration (after a delete) gets a new key.
            "idempotency_key": False,
            "idempotency_spec": False,
            "state": "registered",
            "pos_id": result.pos_id,
            "beacon_id": result.beacon_id,
            "qr_payload": result.qr_payload,
            "qr_image_url": result.qr_image_url or False,
            "store_id": store_id or False,
            "environment": method._mobilepay_account_environment(),
            "last_sync": fields.Datetime.now(),
            "last_error": False,
        }
        registration.write(values)
        if result.created:
            _logger.info(
                "MobilePay: registered PoS %s (merchantPosId %s) for POS config %s",
                result.pos_id,
                registration.merchant_pos_id,
                registration.config_id.id,
            )
        registration._mobilepay_register_demo_callback()
        return registration

    def _mobilepay_commit(self):
        """Commit the cursor, unless it belongs to a request or a test (then a caller commits)."""
        if self.env.context.get("mobilepay_own_cursor"):
            self.env.cr.commit()  # pylint: disable=invalid-commit - our own cursor, see _mobilepay_own_cursor

    @api.model
    def _mobilepay_sync_config(self, config, raise_errors=False):
        """Register (or check) every MobilePay method of a POS config, each in its own cursor.

        A MobilePay outage must never stop a session from opening: errors are logged and
        kept on the registration, unless ``raise_errors``.
        """
        methods = config.sudo().payment_method_ids.filtered(
            # ePayment needs nothing registered, except the till's sticker for the sticker flow.
            lambda m: m.use_payment_terminal == "mobilepay" and (m.mobilepay_api == "v10" or m.vipps_flow == "sticker")
        )
        for method in methods:
            try:
                with self._mobilepay_own_cursor() as env:
                    registration = env["pos.mobilepay.registration"]._mobilepay_get_or_create(
                        config.with_env(env), method.with_env(env)
                    )
                    try:
                        registration._mobilepay_sync()
                    except (MobilePayError, UserError) as error:
                        _logger.warning(
                            "MobilePay: could not register POS config %s with payment method %s: %s",
                            config.id,
                            method.id,
                            error,
                        )
                        registration.write({"state": "error", "last_error": str(error)})
                        if raise_errors:
                            registration._mobilepay_commit()
                            raise
            except (MobilePayError, UserError):
                if raise_errors:
                    raise
            except Exception:
                if raise_errors:
                    raise
                _logger.exception("MobilePay: registering POS config %s failed", config.id)

    def action_mobilepay_sync(self):
        """Button: register (again) now."""
        if not self.env.user.has_group("point_of_sale.group_pos_manager"):
            raise UserError(_("Only Point of Sale administrators can register MobilePay points of sale."))
        for registration in self:
            registration._mobilepay_sync_in_own_cursor()
        self.invalidate_recordset()
        return True

    def _mobilepay_sync_in_own_cursor(self):
        """Sync in a cursor of its own, so that the idempotency key is committed before the call."""
        self.ensure_one()
        with self._mobilepay_own_cursor() as env:
            registration = self.with_env(env).sudo()
            try:
                registration._mobilepay_sync()
            except MobilePayError as error:
                registration.write({"state": "error", "last_error": str(error)})
                registration._mobilepay_commit()
                raise UserError(_("MobilePay refused the registration: %(reason)s", reason=error)) from None
        return self
