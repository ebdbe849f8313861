"""The server side of a MobilePay transaction's life: polling, capture, cancel, reconciliation.

``_mobilepay_process()`` is the core: a plain method that brings the given transactions
forward in the current cursor (no commit) and that tests call directly. The poller cron
(pos_mobilepay_poller.py) runs it for every due transaction, several at once, each in a
cursor of its own; the reconciliation cron (pos_mobilepay_reconciliation.py) settles what
was left behind.
"""

import logging
from datetime import timedelta
from decimal import Decimal

import psycopg2

from odoo import _, api, models
from odoo.exceptions import UserError

from ..mobilepay import formats
from ..mobilepay.errors import MobilePayError, is_busy, key_spent, outcome_unknown
from ..mobilepay.polling import next_poll_at
from ..mobilepay.provider import PaymentState, RefundState
from .mobilepay_states import (
    BLOCKING_PAYMENT_STATES,
    CANCELLABLE_PAYMENT_STATES,
    CANCELLABLE_REFUND_STATES,
    CANCELLED_BY_CASHIER,
    CAPTURED,
    RESERVED,
    UNSTARTED_STATES,
    WAITING_FOR_CUSTOMER,
)
from .pos_mobilepay_transaction import utcnow

_logger = logging.getLogger(__name__)

POLL_CRON_XMLID = "pos_mobilepay.ir_cron_mobilepay_poll"
# NOTIFY-ed whenever a transaction may have become due: a running poller wakes (pos_mobilepay_poller.py).
WAKE_CHANNEL = "pos_mobilepay_due"
MAX_BACKOFF_S = 60
# MobilePay said "try again shortly" (the customer is approving, another operation holds the payment):
# the next attempt comes within this many seconds, unless MobilePay asked for a longer wait.
BUSY_BACKOFF_S = 10
# With check-in notifications, a payment nobody checked in to yet is polled this often at least
# (a notification that never comes costs no more than this).
CHECKIN_FALLBACK = timedelta(seconds=5)
# A payment whose events MobilePay sends us (webhooks) is read when an event comes; without one it is
# looked at after this long (a late or lost event), not at every poll delay.
EVENT_FALLBACK = timedelta(seconds=4)
# A check-in notification makes the PoS's waiting payments due (at pollDelayInMs) until one of them
# pairs with the customer, for this long at most.
CHECKIN_PENDING_FOR = timedelta(minutes=5)


def to_decimal(amount):
    """A positive Odoo float amount as the Decimal MobilePay wants (2 decimals)."""
    return formats.to_amount(Decimal(f"{amount:.2f}"))


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    # ------------------------------------------------------------------ the core step

    def _mobilepay_process(self, providers=None, wait_lock=False):
        """Poll (when due) and capture or cancel (per intent) each transaction; re-send lost creates. No commit.

        A transaction locked by another worker is skipped. MobilePay errors are recorded
        on the transaction (with a growing delay before the next attempt), never raised;
        so is anything unexpected, after rolling back what that one transaction did.
        Returns the transactions that were looked at.
        """
        providers = {} if providers is None else providers
        processed = self.browse()
        for transaction in self.sudo():
            try:
                with self.env.cr.savepoint():
                    if not transaction._mobilepay_lock(wait=wait_lock):
                        continue
                    if transaction.is_final:
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
                # Typically a deadlock or serialisation failure against another worker: next time.
                _logger.info("MobilePay: transaction %s skipped this time: %s", transaction.id, error)
            except Exception as error:  # noqa: BLE001 - one transaction must never stop the others
                # Rolled back to the savepoint (its lock too): note the error and back off, so the
                # next round does not pick this row first again.
                _logger.exception("MobilePay: processing transaction %s failed", transaction.id)
                try:
                    with self.env.cr.savepoint():
                        if transaction._mobilepay_lock(wait=False):
                            transaction._mobilepay_note_error(_("Processing"), error)
                except psycopg2.Error:
                    _logger.info("MobilePay: could not record the error of transaction %s", transaction.id)
        return processed

    def _mobilepay_is_due(self, now=None):
        self.ensure_one()
        now = now or utcnow()
        return not self.next_poll_at or self.next_poll_at <= now or self._mobilepay_checkin_pending(now)

    def _mobilepay_checkin_pending(self, now):
        """A customer checked in at this waiting payment's PoS, and pollDelayInMs has passed since the
        last poll (the Python twin of the poller's SQL)."""
        if self.state != WAITING_FOR_CUSTOMER or self.error_count:
            return False
        if self.last_poll_at and next_poll_at(self.last_poll_at, self.poll_delay_ms) > now:
            return False
        notified = self.registration_id.sudo().checkin_notified_at
        if not notified or notified <= now - CHECKIN_PENDING_FOR:
            return False
        return not self.sudo().search_count(
            [
                ("registration_id", "=", self.registration_id.id),
                ("kind", "=", "payment"),
                ("paired_at", ">=", notified),
            ],
            limit=1,
        )

    def _mobilepay_may_act(self):
        """Capture/cancel right away, unless the last attempt failed (then wait for the back-off)."""
        return not self.error_count or self._mobilepay_is_due()

    def _mobilepay_needs_step(self, now=None):
        self.ensure_one()
        if self.is_final or self.awaiting_checkin:
            return False  # a sticker payment waits for the check-in webhook, never for the poller
        if self._mobilepay_is_due(now):
            return True
        if self.state in UNSTARTED_STATES:
            return False  # re-sent when due only
        if self.error_count:
            return False
        if self.intent == "cancel":
            return True
        return self.state == RESERVED

    def _mobilepay_step(self, provider):
        """One step of a payment or refund: cancel if so intended, poll when due, then settle a reservation.

        A row whose create call has no answer yet is re-sent with its stored key first.
        """
        if self.state in UNSTARTED_STATES:
            if self.awaiting_checkin:
                return  # nothing to send before the customer scans the sticker
            if self._mobilepay_is_due():
                # Inside the caller's savepoint: no commits on the way (the caller commits).
                self.with_context(mobilepay_own_cursor=False)._mobilepay_resend(provider)
            return
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
            acted = True
            # Refused: the refusal was followed by a read of the real state (never starved by it).
            if not cancel(provider) or self.is_final:
                return
        if not self.is_final and self._mobilepay_is_due():
            # A reservation whose capture (or release) failed keeps its back-off across this poll while it
            # stays reserved: the next attempt waits longer each time (never every poll delay).
            poll(provider, keep_backoff=bool(self.error_count) and self.state == RESERVED)
        if self.state == RESERVED and not acted and self._mobilepay_may_act():
            (capture if self.intent == "capture" else cancel)(provider)

    def _mobilepay_hears_checkins(self):
        """MobilePay notifies this database when a customer checks in at this payment's PoS (a callback alias)."""
        self.ensure_one()
        method = self.payment_method_id.sudo()
        return method.mobilepay_api == "v10" and bool(method.mobilepay_callback_alias)

    def _mobilepay_hears_payment_events(self):
        """MobilePay sends this database the payment's events (its method's webhooks)."""
        self.ensure_one()
        return self.payment_method_id.sudo()._mobilepay_sends_payment_events()

    # ------------------------------------------------------------------ errors

    def _mobilepay_note_error(self, what, error):
        """Record a failed call; the next attempt waits 2, 4, 8 ... 60 s (at most 10 s, or the wait
        MobilePay asked for, when it said "try again shortly")."""
        self.ensure_one()
        count = self.error_count + 1
        message = _("%(what)s failed: %(error)s", what=what, error=error)
        wait = min(2**count, MAX_BACKOFF_S)
        if is_busy(error):
            wait = max(min(wait, BUSY_BACKOFF_S), min(error.retry_after or 0, MAX_BACKOFF_S))
        self.sudo().write(
            {"error_count": count, "last_error": message, "next_poll_at": utcnow() + timedelta(seconds=wait)}
        )
        if count == 1 or count % 10 == 0:
            self._mobilepay_log(message, level=logging.WARNING)

    def _mobilepay_clear_error(self):
        if self.error_count or self.last_error:
            self.sudo().write({"error_count": 0, "last_error": False})

    # ------------------------------------------------------------------ payments

    def _mobilepay_poll_payment(self, provider, keep_backoff=False):
        try:
            snapshot = provider.get_payment(self.provider_payment_id)
        except MobilePayError as error:
            self._mobilepay_note_error(_("Polling the payment"), error)
            return
        self._mobilepay_apply_payment_snapshot(snapshot, utcnow(), keep_backoff=keep_backoff)

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

    def _mobilepay_apply_payment_snapshot(self, snapshot, received_at, keep_backoff=False):
        """Record what MobilePay shows. ``keep_backoff``: read right after a refused capture or cancel;
        while the state is the same, the refused action keeps waiting out its back-off (a changed state
        clears it, so the action follows at once)."""
        values = self._mobilepay_poll_values(received_at, snapshot.poll_delay_ms)
        state = snapshot.state.value
        if keep_backoff and state == self.state:
            for name in ("error_count", "last_error", "next_poll_at"):
                values.pop(name)
        if state == WAITING_FOR_CUSTOMER and "next_poll_at" in values and self._mobilepay_hears_checkins():
            # Nobody checked in yet, and MobilePay will say when someone does (the check-in
            # notification polls at once): no need to poll at pollDelayInMs meanwhile.
            values["next_poll_at"] = max(values["next_poll_at"], received_at + CHECKIN_FALLBACK)
        elif state in BLOCKING_PAYMENT_STATES and "next_poll_at" in values and self._mobilepay_hears_payment_events():
            # The customer's answer (or the payment's end) comes as an event, which makes it due at once.
            values["next_poll_at"] = max(values["next_poll_at"], received_at + EVENT_FALLBACK)
        if state == CAPTURED:
            # What MobilePay says it captured (the aggregate where the backend tells it).
            captured = snapshot.captured_amount or (None if self.captured_amount else snapshot.amount)
            if captured:
                values["captured_amount"] = float(captured)
        if self.state == WAITING_FOR_CUSTOMER and state != WAITING_FOR_CUSTOMER and not self.paired_at:
            # Paired with the customer (or ended): a check-in notified at the PoS so far was this one's.
            values["paired_at"] = received_at
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
        return self._mobilepay_settle(
            provider,
            lambda attempt: provider.capture_payment(
                self.provider_payment_id, amount, currency=self.currency_id.name, attempt=attempt
            ),
            _("Capture"),
            CAPTURED,
            _("Captured %(amount)s %(currency)s.", amount=amount, currency=self.currency_id.name),
        )

    def _mobilepay_cancel_payment_at_provider(self, provider):
        # A captured payment cannot be cancelled (MobilePay refuses it): that refusal, like any
        # other, is followed by a read of the payment, which then shows it captured.
        return self._mobilepay_settle(
            provider,
            lambda attempt: provider.cancel_payment(self.provider_payment_id, attempt=attempt),
            _("Cancel"),
            CANCELLED_BY_CASHIER,
            _("Cancelled at MobilePay."),
        )

    # ------------------------------------------------------------------ refunds

    def _mobilepay_poll_refund(self, provider, keep_backoff=False):
        try:
            snapshot = provider.get_refund(self.provider_refund_id, payment_id=self.provider_payment_id)
        except MobilePayError as error:
            self._mobilepay_note_error(_("Polling the refund"), error)
            return
        state = snapshot.state.value
        if provider.refunds_are_final and not snapshot.state.is_final:
            # Made when MobilePay answered its create (a row of an older version waiting for the event
            # that echoes its key): the answer was the refund.
            state = CAPTURED
        values = self._mobilepay_poll_values(utcnow(), snapshot.poll_delay_ms)
        if keep_backoff and state == self.state:
            for name in ("error_count", "last_error", "next_poll_at"):
                values.pop(name)
        if state == CAPTURED and not self.captured_amount:
            values["captured_amount"] = float(snapshot.amount) if snapshot.amount else self.amount
        self.sudo().write(values)
        self._mobilepay_set_state(state, snapshot.provider_status)

    def _mobilepay_capture_refund_at_provider(self, provider):
        return self._mobilepay_settle(
            provider,
            lambda attempt: provider.capture_refund(self.provider_refund_id),
            _("Refund capture"),
            CAPTURED,
            _("Refunded %(amount)s %(currency)s.", amount=self.amount, currency=self.currency_id.name),
        )

    def _mobilepay_cancel_refund_at_provider(self, provider):
        return self._mobilepay_settle(
            provider,
            lambda attempt: provider.cancel_refund(self.provider_refund_id),
            _("Refund cancel"),
            CANCELLED_BY_CASHIER,
            _("Refund cancelled at MobilePay."),
        )

    def _mobilepay_settle(self, provider, call, what, state, message):
        """Capture or cancel at MobilePay with ``call(attempt)``; on success record ``state`` (with the
        provider's status name for it). Returns whether it was done.

        A refusal MobilePay keeps for the request's key (a definite one, or "try again later" from the
        API itself) makes the next attempt a new request (``settle_attempt`` + 1, a new key), so no
        refusal replays forever. Any answer that is not a success is followed at once by a read of the
        real state, so a failing capture or cancel never starves the poll: a payment the customer
        approved while its cancel was refused is seen, and released, without waiting for the abandon
        time. A lost answer is repeated with the same key after the back-off.
        """
        try:
            result = call(self.settle_attempt)
        except MobilePayError as error:
            if key_spent(error):
                self.sudo().write({"settle_attempt": self.settle_attempt + 1})
            self._mobilepay_note_error(what, error)
            if not outcome_unknown(error) or is_busy(error):
                poll = self._mobilepay_poll_refund if self.kind == "refund" else self._mobilepay_poll_payment
                poll(provider, keep_backoff=True)
            return False
        if state == CAPTURED:
            # Vipps MobilePay's captured total where the backend answers it (else what we asked for).
            self.sudo().write({"captured_amount": float(result) if result is not None else self.amount})
        elif isinstance(result, PaymentState) and result.value != state:
            # The answer shows the payment ended otherwise first (rejected, expired, captured): the next
            # poll records it as it is.
            self._mobilepay_clear_error()
            self.sudo().write({"next_poll_at": utcnow()})
            self._mobilepay_log(_("MobilePay shows the payment %(state)s: looked at again.", state=result.value))
            return True
        self._mobilepay_clear_error()
        self._mobilepay_set_state(state, self._mobilepay_status_name(provider, state), message)
        return True

    def _mobilepay_status_name(self, provider, state):
        """What the provider calls ``state`` (one of ours) when our own call made this payment or refund so."""
        self.ensure_one()
        return provider.status_name(RefundState(state) if self.kind == "refund" else PaymentState(state))

    # ------------------------------------------------------------------ the poller (cron)

    @api.model
    def _mobilepay_active_domain(self):
        return [("is_final", "=", False)]

    @api.model
    def _mobilepay_trigger_poller(self, at=None):
        """Run the poller (at ``at``, or now); a poller already running is woken at this commit."""
        cron = self.env.ref(POLL_CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)
        self.env.cr.execute(f"NOTIFY {WAKE_CHANNEL}")

    def _mobilepay_due_at(self, now):
        """When this transaction next needs a step (now, or its next poll time)."""
        self.ensure_one()
        if self._mobilepay_needs_step(now):
            return now
        return self.next_poll_at or now

    def _mobilepay_process_own(self, providers):
        """Process one transaction in a cursor of its own, committed on its own; returns its state afterwards."""
        self.ensure_one()
        return self._mobilepay_own_step(lambda t: t._mobilepay_process(providers) and t.state) or self.state
