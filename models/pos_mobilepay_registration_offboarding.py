"""Offboarding a register's MobilePay PoS: marked now, deleted at MobilePay once the change that asked for
it is committed and its payments are settled (the reconciliation deletes what had to wait)."""

import logging

from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry

from ..mobilepay.errors import MobilePayError

_logger = logging.getLogger(__name__)


class PosMobilepayRegistration(models.Model):
    _inherit = "pos.mobilepay.registration"

    def _mobilepay_unregister(self):
        """Offboard these PoS: marked now, deleted at MobilePay once this transaction is committed.

        The deletion never runs before the Odoo change that asked for it is committed (it
        may still roll back), nor while a payment of the PoS is running or reserved: then
        the registration waits as "to delete" and the reconciliation deletes it later.
        """
        registrations = self.sudo().filtered(lambda r: r.state != "deleted")
        unknown = registrations.filtered(lambda r: not r.pos_id)
        unknown.write({"state": "deleted", "active": False})
        pending = registrations - unknown
        if not pending:
            return
        pending.write({"state": "to_delete"})
        ids = pending.ids
        dbname = self.env.cr.dbname

        @self.env.cr.postcommit.add
        def delete_after_commit():
            with Registry(dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["pos.mobilepay.registration"].browse(ids).exists()._mobilepay_delete_at_provider()

    def _mobilepay_delete_at_provider(self):
        """Delete "to delete" PoS at MobilePay whose payments are all settled; commits each one when run in a cron."""
        for registration in self.sudo().filtered(lambda r: r.state == "to_delete"):
            registration.env.cr.execute(
                "SELECT id FROM pos_mobilepay_registration WHERE id = %s FOR UPDATE SKIP LOCKED", (registration.id,)
            )
            if not registration.env.cr.fetchone():
                continue
            registration.invalidate_recordset()
            if registration.state != "to_delete":
                continue
            if registration._mobilepay_unsettled_transactions():
                _logger.info("MobilePay: PoS %s will be deleted once its payments are settled", registration.pos_id)
                continue
            try:
                registration.payment_method_id._mobilepay_provider().delete_pos(registration.pos_id)
            except (MobilePayError, UserError) as error:
                _logger.warning("MobilePay: could not delete PoS %s: %s", registration.pos_id, error)
                registration.write({"last_error": str(error)})
                continue
            _logger.info(
                "MobilePay: deleted PoS %s (merchantPosId %s)", registration.pos_id, registration.merchant_pos_id
            )
            registration.write({"state": "deleted", "active": False, "last_error": False})

    @api.model
    def _mobilepay_delete_after_commit(self, registrations):
        """For registrations about to be deleted with their POS config or payment method (cascade).

        Their PoS are deleted at MobilePay after the deletion is committed, with the
        provider built now (the records are gone by then). A deletion that rolls back
        (e.g. the config still has MobilePay transactions) deletes nothing.
        """
        registrations = registrations.sudo().filtered(lambda r: r.pos_id and r.state != "deleted")
        if registrations._mobilepay_unsettled_transactions():
            raise UserError(_("MobilePay payments are still running on this Point of Sale: settle them first."))
        targets = []
        for registration in registrations:
            try:
                targets.append((registration.payment_method_id._mobilepay_provider(), registration.pos_id))
            except UserError as error:
                _logger.warning("MobilePay: PoS %s cannot be deleted at MobilePay: %s", registration.pos_id, error)
        if not targets:
            return

        @self.env.cr.postcommit.add
        def delete_after_commit():
            for provider, pos_id in targets:
                try:
                    provider.delete_pos(pos_id)
                    _logger.info("MobilePay: deleted PoS %s", pos_id)
                except MobilePayError as error:
                    _logger.warning("MobilePay: could not delete PoS %s: %s", pos_id, error)

    @api.model
    def _mobilepay_retire_unused(self, configs=None, methods=None):
        """Unregister every PoS whose POS config no longer uses its (active, MobilePay) method."""
        domain = [("state", "!=", "deleted")]
        if configs is not None:
            domain.append(("config_id", "in", configs.ids))
        if methods is not None:
            domain.append(("payment_method_id", "in", methods.ids))
        registrations = self.sudo().with_context(active_test=False).search(domain)
        unused = registrations.filtered(
            lambda r: (
                not r.config_id.active
                or not r.payment_method_id.active
                or r.payment_method_id.use_payment_terminal != "mobilepay"
                or r.payment_method_id not in r.config_id.payment_method_ids
            )
        )
        unused._mobilepay_unregister()
        return unused

    def action_mobilepay_unregister(self):
        if not self.env.user.has_group("point_of_sale.group_pos_manager"):
            raise UserError(_("Only Point of Sale administrators can delete MobilePay points of sale."))
        self._mobilepay_unregister()
        return True
