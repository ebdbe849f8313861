"""The server side of a MobilePay transaction's life: polling, capture, cancel, reconciliation.

``_mobilepay_process()`` is the core: a plain method that brings the given transactions
forward in the current cursor (no commit) and that tests call directly. The poller cron
runs it for every active transaction in a cursor of its own per transaction (so each one
is committed on its own), honouring each one's next poll time (pollDelayInMs), for a
bounded time; it re-triggers itself while work remains. The reconciliation cron settles
what was left behind (API.md 11.10).
"""

import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal

import psycopg2

from odoo import _, api, models
from odoo.exceptions import UserError

from ..mobilepay import formats
from ..mobilepay.errors import CANNOT_CANCEL, MobilePayConflict, MobilePayError
from ..mobilepay.polling import next_poll_at
from .mobilepay_states import (
    BLOCKING_PAYMENT_STATES,
    CANCELLABLE_PAYMENT_STATES,
    CANCELLABLE_REFUND_STATES,
    CANCELLED_BY_CASHIER,
    CAPTURED,
    FAILED,
    FINAL_STATES,
    NEW,
    RESERVED,
)
from .pos_mobilepay_transaction import utcnow

_logger = logging.getLogger(__name__)

POLL_CRON_XMLID = "pos_mobilepay.ir_cron_mobilepay_poll"
POLL_CRON_BUDGET_S = 50.0
MAX_BACKOFF_S = 60
# A 'new' row older than this lost its start call (crash, killed worker).
STALE_START = timedelta(minutes=5)
ABANDON_PARAMETER = "pos_mobilepay.abandon_after_minutes"
DEFAULT_ABANDON_MINUTES = 30


def _testing():
    return getattr(threading.current_thread(), "testing", False)


def to_decimal(amount):
    """A positive Odoo float amount as the Decimal MobilePay wants (2 decimals)."""
    return formats.to_amount(Decimal(f"{amount:.2f}"))


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    # ------------------------------------------------------------------ the core step

    def _mobilepay_process(self, providers=None, wait_lock=False):
        """Poll (when due) and capture or cancel (per intent) each transaction. No commit.

        A transaction locked by another worker is skipped. MobilePay errors are recorded
        on the transaction (with a growing delay before the next attempt), never raised.
        Returns the transactions that were looked at.
        """
        providers = {} if providers is None else providers
        processed = self.browse()
        for transaction in self.sudo():
            try:
                with self.env.cr.savepoint():
                    if not transaction._mobilepay_lock(wait=wait_lock):
                        continue
                    if transaction.is_final or transaction.state == NEW:
                        processed |= transaction
                        continue
                    method = transaction.payment_method_id
                    try:
                        if method.id not in providers:
                            providers[method.id] = method._mobilepay_provider()
                        provider = providers[method.id]
                    except UserError as error:
                        transaction._mobilepay_note_error(_("Connecting"), error)
                        processed |= transaction
                        continue
                    transaction._mobilepay_step(provider)
                processed |= transaction
            except psycopg2.Error as error:
                # Typically a serialisation failure against another worker: next time.
                _logger.info("MobilePay: transaction %s skipped this time: %s", transaction.id, error)
        return processed

    def _mobilepay_is_due(self, now=None):
        self.ensure_one()
        return not self.next_poll_at or self.next_poll_at <= (now or utcnow())

    def _mobilepay_may_act(self):
        """Capture/cancel right away, unless the last attempt failed (then wait for the back-off)."""
        return not self.error_count or self._mobilepay_is_due()

    def _mobilepay_needs_step(self, now=None):
        self.ensure_one()
        if self.is_final or self.state == NEW:
            return False
        if self._mobilepay_is_due(now):
            return True
        if self.error_count:
            return False
        if self.intent == "cancel":
            return True
        return self.state == RESERVED

    def _mobilepay_step(self, provider):
        """One step of a payment or refund: cancel if so intended, poll when due, then settle a reservation."""
        if self.kind == "refund":
            cancellable = CANCELLABLE_REFUND_STATES
            poll, capture, cancel = (
                self._mobilepay_poll_refund,
                self._mobilepay_capture_refund_at_provider,
                self._mobilepay_cancel_refund_at_provider,
            )
        else:
            cancellable = CANCELLABLE_PAYMENT_STATES
            poll, capture, cancel = (
                self._mobilepay_poll_payment,
                self._mobilepay_capture_payment_at_provider,
                self._mobilepay_cancel_payment_at_provider,
            )
        acted = False
        if self.intent == "cancel" and self.state in cancellable and self._mobilepay_may_act():
            cancel(provider)
            acted = True
            if self.is_final:
                return
        if not self.is_final and self._mobilepay_is_due():
            poll(provider)
        if self.state == RESERVED and not acted and self._mobilepay_may_act():
            (capture if self.intent == "capture" else cancel)(provider)

    # ------------------------------------------------------------------ errors

    def _mobilepay_note_error(self, what, error):
        """Record a failed call; the next attempt waits 2, 4, 8 ... 60 s."""
        self.ensure_one()
        count = self.error_count + 1
        message = _("%(what)s failed: %(error)s", what=what, error=error)
        self.sudo().write(
            {
                "error_count": count,
                "last_error": message,
                "next_poll_at": utcnow() + timedelta(seconds=min(2**count, MAX_BACKOFF_S)),
            }
        )
        if count == 1 or count % 10 == 0:
            self._mobilepay_log(message, level=logging.WARNING)

    def _mobilepay_clear_error(self):
        if self.error_count or self.last_error:
            self.sudo().write({"error_count": 0, "last_error": False})

    # ------------------------------------------------------------------ payments

    def _mobilepay_poll_payment(self, provider):
        try:
            snapshot = provider.get_payment(self.provider_payment_id)
        except MobilePayError as error:
            self._mobilepay_note_error(_("Polling the payment"), error)
            return
        self._mobilepay_apply_payment_snapshot(snapshot, utcnow())

    @staticmethod
    def _mobilepay_poll_values(received_at, poll_delay_ms):
        """What every answered poll records: when, the delay MobilePay asked for, no error."""
        return {
            "last_poll_at": received_at,
            "poll_delay_ms": poll_delay_ms,
            "next_poll_at": next_poll_at(received_at, poll_delay_ms),
            "error_count": 0,
            "last_error": False,
        }

    def _mobilepay_apply_payment_snapshot(self, snapshot, received_at):
        values = self._mobilepay_poll_values(received_at, snapshot.poll_delay_ms)
        state = snapshot.state.value
        if state == CAPTURED and not self.captured_amount:
            values["captured_amount"] = float(snapshot.amount or self.amount)
        self.sudo().write(values)
        if (
            snapshot.amount is not None
            and self.currency_id.compare_amounts(float(snapshot.amount), self.amount) != 0
            and state in CANCELLABLE_PAYMENT_STATES
            and self.intent == "capture"
        ):
            # Never take another amount than the one the cashier asked for.
            self.sudo().write({"intent": "cancel"})
            self._mobilepay_log(
                _(
                    "MobilePay shows %(theirs)s instead of %(ours)s: cancelling.",
                    theirs=snapshot.amount,
                    ours=self.amount,
                ),
                level=logging.WARNING,
            )
        self._mobilepay_set_state(state, snapshot.provider_status)

    def _mobilepay_capture_payment_at_provider(self, provider):
        amount = to_decimal(self.amount)
        self._mobilepay_settle(
            lambda: provider.capture_payment(self.provider_payment_id, amount),
            _("Capture"),
            CAPTURED,
            "Captured",
            _("Captured %(amount)s %(currency)s.", amount=amount, currency=self.currency_id.name),
        )

    def _mobilepay_cancel_payment_at_provider(self, provider):
        try:
            provider.cancel_payment(self.provider_payment_id)
        except MobilePayConflict as error:
            if error.code == CANNOT_CANCEL:
                # Final already (captured, cancelled by the customer...): the next poll tells which.
                self._mobilepay_log(_("MobilePay cannot cancel the payment in its current state."))
                self.sudo().write({"next_poll_at": min(self.next_poll_at or utcnow(), utcnow())})
                return
            self._mobilepay_note_error(_("Cancel"), error)
            return
        except MobilePayError as error:
            self._mobilepay_note_error(_("Cancel"), error)
            return
        self._mobilepay_clear_error()
        self._mobilepay_set_state(CANCELLED_BY_CASHIER, "CancelledByClient", _("Cancelled at MobilePay."))

    # ------------------------------------------------------------------ refunds

    def _mobilepay_poll_refund(self, provider):
        try:
            snapshot = provider.get_refund(self.provider_refund_id)
        except MobilePayError as error:
            self._mobilepay_note_error(_("Polling the refund"), error)
            return
        values = self._mobilepay_poll_values(utcnow(), snapshot.poll_delay_ms)
        if snapshot.state.value == CAPTURED and not self.captured_amount:
            values["captured_amount"] = float(snapshot.amount)
        self.sudo().write(values)
        self._mobilepay_set_state(snapshot.state.value, snapshot.provider_status)

    def _mobilepay_capture_refund_at_provider(self, provider):
        self._mobilepay_settle(
            lambda: provider.capture_refund(self.provider_refund_id),
            _("Refund capture"),
            CAPTURED,
            "Captured",
            _("Refunded %(amount)s %(currency)s.", amount=self.amount, currency=self.currency_id.name),
        )

    def _mobilepay_cancel_refund_at_provider(self, provider):
        self._mobilepay_settle(
            lambda: provider.cancel_refund(self.provider_refund_id),
            _("Refund cancel"),
            CANCELLED_BY_CASHIER,
            "CancelledByClient",
            _("Refund cancelled at MobilePay."),
        )

    def _mobilepay_settle(self, call, what, state, provider_status, message):
        """Capture or cancel at MobilePay with ``call``; on success record ``state``.

        A 409 means MobilePay's state differs from ours: the error is noted and the
        transaction polled at once, so the next poll tells what happened.
        """
        try:
            call()
        except MobilePayConflict as error:
            self._mobilepay_note_error(what, error)
            self.sudo().write({"next_poll_at": utcnow()})
            return False
        except MobilePayError as error:
            self._mobilepay_note_error(what, error)
            return False
        if state == CAPTURED:
            self.sudo().write({"captured_amount": self.amount})
        self._mobilepay_clear_error()
        self._mobilepay_set_state(state, provider_status, message)
        return True

    # ------------------------------------------------------------------ the poller (cron)

    @api.model
    def _mobilepay_active_domain(self):
        return [("is_final", "=", False), ("state", "!=", NEW)]

    @api.model
    def _mobilepay_trigger_poller(self, at=None):
        cron = self.env.ref(POLL_CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    @api.model
    def _cron_mobilepay_poll(self, time_budget=None):
        """Follow every active transaction for up to ``time_budget`` seconds (50 by default).

        Each transaction is processed and committed in a cursor of its own; between rounds
        the poller sleeps until the earliest next poll time. Work left at the end re-triggers
        the cron. In tests (no commits allowed) it makes one round in the current cursor.
        """
        budget = POLL_CRON_BUDGET_S if time_budget is None else time_budget
        deadline = time.monotonic() + budget
        testing = _testing()
        providers = {}
        while True:
            active = self.sudo().search(self._mobilepay_active_domain(), order="next_poll_at asc, id")
            if not active:
                return True
            now = utcnow()
            due = [transaction for transaction in active if transaction._mobilepay_needs_step(now)]
            for transaction in due:
                if testing:
                    transaction._mobilepay_process(providers)
                else:
                    with self._mobilepay_own_cursor() as env:
                        transaction.with_env(env)._mobilepay_process(providers)
                if time.monotonic() >= deadline:
                    break
            if testing:
                return True
            # The cron's cursor wrote nothing: committing just gives the next round a fresh snapshot.
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
            remaining = self.sudo().search(self._mobilepay_active_domain(), order="next_poll_at asc", limit=1)
            if not remaining:
                return True
            if time.monotonic() >= deadline:
                self._mobilepay_trigger_poller()
                return True
            wait = 0.2
            if remaining.next_poll_at:
                wait = (remaining.next_poll_at - utcnow()).total_seconds()
            time.sleep(min(max(wait, 0.05), 2.0, max(deadline - time.monotonic(), 0)))

    # ------------------------------------------------------------------ reconciliation (cron)

    @api.model
    def _cron_mobilepay_reconcile(self):
        """Settle what the poller left behind (API.md 11.10) and log what was done.

        * payments and refunds left reserved are captured or cancelled as their stored intent says;
        * transactions that did not move for a long time are cancelled (abandoned);
        * starts that never got an answer (crash) are closed, a payment MobilePay made for them cancelled;
        * PoS registrations waiting for their payments to settle are deleted at MobilePay.
        """
        Transaction = self.sudo()
        now = utcnow()
        minutes = int(
            self.env["ir.config_parameter"].sudo().get_param(ABANDON_PARAMETER, DEFAULT_ABANDON_MINUTES)
            or DEFAULT_ABANDON_MINUTES
        )
        summary = {"abandoned": 0, "settled": 0, "unstarted": 0, "unregistered": 0}

        abandoned = Transaction.search(
            [
                *self._mobilepay_active_domain(),
                ("state", "in", list(BLOCKING_PAYMENT_STATES | (CANCELLABLE_REFUND_STATES - {RESERVED}))),
                ("intent", "=", "capture"),
                ("state_changed_at", "<", now - timedelta(minutes=minutes)),
            ]
        )
        for transaction in abandoned:
            transaction.write({"intent": "cancel"})
            transaction._mobilepay_log(_("No change for %(minutes)s minutes: abandoned, cancelling.", minutes=minutes))
            summary["abandoned"] += 1
            self._mobilepay_reconcile_commit()

        active = Transaction.search(self._mobilepay_active_domain())
        providers = {}
        for transaction in active:
            if transaction._mobilepay_reconcile_one(providers) in FINAL_STATES:
                summary["settled"] += 1

        stale = Transaction.search([("state", "=", NEW), ("create_date", "<", now - STALE_START)])
        for transaction in stale:
            transaction._mobilepay_close_unstarted(providers)
            summary["unstarted"] += 1
            self._mobilepay_reconcile_commit()

        registrations = self.env["pos.mobilepay.registration"].sudo().search([("state", "=", "to_delete")])
        for registration in registrations:
            registration._mobilepay_unregister()
            if registration.state == "deleted":
                summary["unregistered"] += 1
            self._mobilepay_reconcile_commit()

        _logger.info(
            "MobilePay reconciliation: %(abandoned)s abandoned, %(settled)s settled, "
            "%(unstarted)s unstarted closed, %(unregistered)s PoS deleted",
            summary,
        )
        return summary

    def _mobilepay_reconcile_one(self, providers):
        """Process one transaction (committed on its own outside tests); returns its state afterwards."""
        self.ensure_one()
        if _testing():
            self._mobilepay_process(providers)
            return self.state
        with self._mobilepay_own_cursor() as env:
            transaction = self.with_env(env)
            transaction._mobilepay_process(providers)
            return transaction.state

    def _mobilepay_reconcile_commit(self):
        if not _testing():
            self.env.cr.commit()  # pylint: disable=invalid-commit - cron: one settled item at a time

    def _mobilepay_close_unstarted(self, providers):
        """A start that never got its answer: cancel what MobilePay may have made of it, then close it."""
        self.ensure_one()
        registration = self.registration_id
        if self.kind == "refund":
            if not self._mobilepay_cancel_lost_refund(providers):
                return
        elif registration.pos_id and self.provider_order_id:
            method = self.payment_method_id
            try:
                provider = providers.get(method.id) or providers.setdefault(method.id, method._mobilepay_provider())
                for snapshot in provider.active_payments(registration.pos_id):
                    if snapshot.order_id != self.provider_order_id:
                        continue
                    if self.search_count([("provider_payment_id", "=", snapshot.payment_id), ("kind", "=", "payment")]):
                        continue  # another attempt for the same line took it over
                    provider.cancel_payment(snapshot.payment_id)
                    self._mobilepay_log(
                        _(
                            "Cancelled payment %(payment)s that MobilePay made for this lost start.",
                            payment=snapshot.payment_id,
                        )
                    )
            except (MobilePayError, UserError) as error:
                self._mobilepay_note_error(_("Closing a lost start"), error)
                return
        self.sudo().write({"intent": "cancel", "last_error": self.last_error or _("The start was never answered.")})
        self._mobilepay_set_state(FAILED, message=_("The start was never answered: closed."))

    def _mobilepay_cancel_lost_refund(self, providers):
        """Re-send the lost refund start with its stored key and cancel what comes back.

        Within MobilePay's 24 h idempotency window the same key returns the refund the
        first call made (or makes it now); cancelling it means no money leaves twice for
        a refund the cashier saw fail. Returns False when MobilePay could not be asked.
        """
        original = self.refunded_transaction_id
        if not (self.provider_order_id and self.idempotency_key and original.provider_payment_id):
            return True  # the create call was never built: nothing can exist at MobilePay
        method = self.payment_method_id
        try:
            provider = providers.get(method.id) or providers.setdefault(method.id, method._mobilepay_provider())
            refund_id = provider.start_refund(
                payment_id=original.provider_payment_id,
                refund_order_id=self.provider_order_id,
                amount=to_decimal(self.amount),
                currency=self.currency_id.name,
                idempotency_key=self.idempotency_key,
            )
            provider.cancel_refund(refund_id)
        except MobilePayConflict as error:
            # Refused outright (e.g. 1367): the lost call made nothing either.
            self._mobilepay_log(_("MobilePay refuses the lost refund start again: %(error)s", error=error))
            return True
        except (MobilePayError, UserError) as error:
            self._mobilepay_note_error(_("Closing a lost refund start"), error)
            return False
        self.sudo().write({"provider_refund_id": refund_id})
        self._mobilepay_log(_("Cancelled refund %(refund)s that MobilePay made for this lost start.", refund=refund_id))
        return True
