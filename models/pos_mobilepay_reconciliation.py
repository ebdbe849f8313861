"""The reconciliation cron: settles what the poller left behind (API.md 11.10) and says what it did.

Abandoned transactions are cancelled, reservations settled as their intent says, creates without an
answer looked up by our order id, PoS registrations waiting for their payments deleted at MobilePay,
and captured money of closed sessions that no order books is counted in the log. Each item is locked
(SKIP LOCKED), checked afresh and committed on its own, within a time budget.
"""

import logging
import time
from datetime import timedelta

from odoo import _, api, models
from odoo.exceptions import UserError

from ..mobilepay.errors import MobilePayError
from .mobilepay_states import (
    BLOCKING_PAYMENT_STATES,
    CANCELLABLE_REFUND_STATES,
    CANCELLED_BY_CASHIER,
    CAPTURED,
    FINAL_STATES,
    RESERVED,
    UNSTARTED_STATES,
)
from .pos_mobilepay_transaction import in_test, utcnow

_logger = logging.getLogger(__name__)

RECONCILE_CRON_XMLID = "pos_mobilepay.ir_cron_mobilepay_reconcile"
RECONCILE_BUDGET_S = 60.0
# A create without an answer for this long is looked up by our order id at MobilePay.
LOOKUP_LOST_AFTER = timedelta(minutes=5)
ABANDON_PARAMETER = "pos_mobilepay.abandon_after_minutes"
DEFAULT_ABANDON_MINUTES = 30


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    @api.model
    def _cron_mobilepay_reconcile(self, time_budget=None):
        """Settle what the poller left behind (API.md 11.10) and log what was done.

        * transactions that did not move for a long time are cancelled (abandoned);
        * payments and refunds left reserved are captured or cancelled as their stored intent says;
        * creates whose answer was lost are looked up by our order id (and adopted), else re-sent;
        * PoS registrations waiting for their payments to settle are deleted at MobilePay.

        Each item is locked (SKIP LOCKED), checked afresh and committed on its own; the run
        stops after ``time_budget`` seconds (60 by default) and triggers itself for the rest.
        """
        budget = RECONCILE_BUDGET_S if time_budget is None else time_budget
        deadline = time.monotonic() + budget
        Transaction = self.sudo()
        minutes = int(
            self.env["ir.config_parameter"].sudo().get_param(ABANDON_PARAMETER, DEFAULT_ABANDON_MINUTES)
            or DEFAULT_ABANDON_MINUTES
        )
        summary = {"abandoned": 0, "settled": 0, "found": 0, "unregistered": 0, "unbooked": 0, "unfinished": False}
        providers = {}

        def out_of_time():
            if time.monotonic() < deadline:
                return False
            summary["unfinished"] = True
            return True

        abandoned = Transaction.search(self._mobilepay_abandoned_domain(minutes))
        for transaction in abandoned:
            if out_of_time():
                break
            if transaction._mobilepay_own_step(lambda t: t._mobilepay_abandon(minutes, providers)):
                summary["abandoned"] += 1

        lost = Transaction.search(
            [
                ("state", "in", list(UNSTARTED_STATES)),
                ("awaiting_checkin", "!=", True),  # never sent: nothing to look up
                ("create_date", "<", utcnow() - LOOKUP_LOST_AFTER),
            ]
        )
        for transaction in lost:
            if out_of_time():
                break
            if transaction._mobilepay_own_step(lambda t: t._mobilepay_look_up_lost(providers)):
                summary["found"] += 1

        for transaction in Transaction.search(self._mobilepay_active_domain()):
            if out_of_time():
                break
            if transaction._mobilepay_process_own(providers) in FINAL_STATES:
                summary["settled"] += 1

        registrations = self.env["pos.mobilepay.registration"].sudo().search([("state", "=", "to_delete")])
        for registration in registrations:
            if out_of_time():
                break
            registration._mobilepay_delete_at_provider()
            if registration.state == "deleted":
                summary["unregistered"] += 1
            self._mobilepay_reconcile_commit()

        # Captured money that no order books, in sessions already closed: said out loud every run until an
        # administrator books or accepts it (an open session shows it on its form and cannot close).
        summary["unbooked"] = Transaction.search_count(
            [
                ("state", "=", CAPTURED),
                ("pos_payment_id", "=", False),
                ("unbooked_accepted", "=", False),
                ("session_id.state", "=", "closed"),
            ]
        )
        if summary["unbooked"]:
            _logger.warning(
                "MobilePay: %s captured transactions of closed sessions are on no order (MobilePay Transactions, "
                "filter 'Not on an order')",
                summary["unbooked"],
            )
        if summary["unfinished"]:
            cron = self.env.ref(RECONCILE_CRON_XMLID, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
        _logger.info(
            "MobilePay reconciliation: %(abandoned)s abandoned, %(settled)s settled, %(found)s lost starts found, "
            "%(unregistered)s PoS deleted%(more)s",
            dict(summary, more=" (out of time: more next run)" if summary["unfinished"] else ""),
        )
        return summary

    @api.model
    def _mobilepay_abandoned_domain(self, minutes):
        return [
            *self._mobilepay_active_domain(),
            "|",
            ("state", "in", list(BLOCKING_PAYMENT_STATES | (CANCELLABLE_REFUND_STATES - {RESERVED}))),
            ("awaiting_checkin", "=", True),
            ("intent", "=", "capture"),
            ("state_changed_at", "<", utcnow() - timedelta(minutes=minutes)),
        ]

    def _mobilepay_own_step(self, action):
        """Run ``action(transaction)`` on this row, locked (SKIP LOCKED), in a cursor of its own.

        Returns what ``action`` returned, or False when the row was locked elsewhere or the
        action failed (the error is noted on the row and logged).
        """
        self.ensure_one()

        def run(transaction):
            try:
                with transaction.env.cr.savepoint():
                    if not transaction._mobilepay_lock(wait=False):
                        return False
                    # Inside the savepoint: no commits on the way (the cursor commits at its end).
                    return action(transaction.with_context(mobilepay_own_cursor=False))
            except Exception as error:  # noqa: BLE001 - one transaction must never stop the others
                _logger.exception("MobilePay: transaction %s failed", transaction.id)
                with transaction.env.cr.savepoint():
                    if transaction._mobilepay_lock(wait=False):
                        transaction._mobilepay_note_error(_("Reconciling"), error)
                return False

        if in_test():
            return run(self)
        try:
            with self._mobilepay_own_cursor() as env:
                return run(self.with_env(env))
        except Exception:  # noqa: BLE001 - e.g. the connection pool is full: next round
            _logger.exception("MobilePay: transaction %s could not be looked at this time", self.id)
            return False

    def _mobilepay_abandon(self, minutes, providers):
        """Locked: cancel the transaction if it is still abandoned (a fresh look, not the search's snapshot)."""
        self.ensure_one()
        self.invalidate_recordset()
        if not self.filtered_domain(self._mobilepay_abandoned_domain(minutes)):
            return False
        if self.awaiting_checkin:
            # Nothing was sent: nobody scanned the sticker.
            self.write({"intent": "cancel", "awaiting_checkin": False})
            self._mobilepay_set_state(
                CANCELLED_BY_CASHIER,
                message=_("Nobody scanned the sticker for %(minutes)s minutes: abandoned.", minutes=minutes),
            )
            return True
        self.write({"intent": "cancel"})
        self._mobilepay_log(_("No change for %(minutes)s minutes: abandoned, cancelling.", minutes=minutes))
        self._mobilepay_process(providers, wait_lock=True)
        return True

    def _mobilepay_look_up_lost(self, providers):
        """Locked: a create whose answer is lost for a while: find what MobilePay made by our order id."""
        self.ensure_one()
        if self.state not in UNSTARTED_STATES:
            return False
        method = self.payment_method_id
        try:
            provider = providers.get(method.id) or providers.setdefault(method.id, method._mobilepay_provider())
            return self._mobilepay_find_lost(provider)
        except (MobilePayError, UserError) as error:
            self._mobilepay_note_error(_("Looking up a lost start"), error)
            return False

    def _mobilepay_reconcile_commit(self):
        if not in_test():
            self.env.cr.commit()  # pylint: disable=invalid-commit - cron: one settled item at a time
