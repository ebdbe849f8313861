"""Starting MobilePay transactions: the create calls, their re-sending and their recoveries.

Called by the RPC methods of ``pos.payment.method`` (pos_payment_method_pos_api.py) in a
cursor of their own, so that each ``_mobilepay_commit()`` makes the idempotency key (or
intent) durable before the HTTP call that needs it; the worker holds the row's lock
while the call is on its way, so the poller leaves the row alone until the worker is
done (or dead).

Outcomes of a create call: MobilePay made it (the row follows the payment or refund),
MobilePay refused it with a definite answer (``failed``: no money moved), or the answer
was lost (``unknown``: the row keeps blocking its line and the poller re-sends the call
with the stored key until MobilePay answers; see ``mobilepay.errors.outcome_unknown``).
"""

import logging
from datetime import timedelta
from decimal import Decimal

from odoo import _, models
from odoo.exceptions import UserError

from ..mobilepay import formats, qr
from ..mobilepay.errors import (
    MobilePayConflict,
    MobilePayError,
    Reason,
    is_busy,
    key_spent,
    outcome_unknown,
)
from ..mobilepay.idempotency import new_idempotency_key
from ..mobilepay.provider import PaymentFlow, PaymentRequest, ReceiptLine
from .mobilepay_states import (
    CAPTURED,
    FAILED,
    FINAL_STATES,
    NEW,
    PENDING,
    UNPAID_FINAL_STATES,
)
from .pos_mobilepay_transaction import utcnow
from .pos_mobilepay_transaction_processing import CHECKIN_FALLBACK, EVENT_FALLBACK, to_decimal

_logger = logging.getLogger(__name__)

OVERDUE_GRACE_S = 1.5
# A row left 'new' this long after its create began, and no longer locked, lost its worker.
START_GRACE = timedelta(seconds=10)


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    # ------------------------------------------------------------------ lookups

    def _mobilepay_for_line(self, config_id, kind, line_uuid):
        """The line's transaction that is still running, or that took the money."""
        return self.sudo().search(
            [
                ("config_id", "=", config_id),
                ("kind", "=", kind),
                ("line_uuid", "=", line_uuid),
                ("state", "not in", list(UNPAID_FINAL_STATES)),
            ],
            order="id desc",
            limit=1,
        )

    def _mobilepay_resume_answer(self, request):
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount, request["amount"]) != 0:
            raise UserError(
                _(
                    "A MobilePay %(kind)s of %(amount)s %(currency)s is already running for this line.",
                    kind=self.kind,
                    amount=self.amount,
                    currency=self.currency_id.name,
                )
            )
        return self._mobilepay_start_answer()

    def _mobilepay_start_answer(self):
        """The status dict plus what the POS shows while the customer pays (QR, beacon, demo phone)."""
        self.ensure_one()
        answer = self._mobilepay_status()
        registration = self.registration_id
        method = self.payment_method_id.sudo()
        # v10: the register's check-in QR; ePayment brings a QR of each payment (``qr_url``) or none.
        payload = registration.qr_payload if self.kind == "payment" and method.mobilepay_api == "v10" else False
        phone_url = False
        if method._mobilepay_is_demo() and method.mobilepay_api == "epayment":
            phone_url = f"{method._vipps_emulator_url()}/phone"
        elif method._mobilepay_is_demo() and registration.beacon_id:
            phone_url = f"{method._mobilepay_emulator_url()}/phone?beaconId={registration.beacon_id}"
        answer.update(
            {
                "qr_payload": payload or False,
                "qr_svg": qr.svg_data_uri(payload) if payload else False,
                "beacon_id": registration.beacon_id or False,
                "phone_url": phone_url,
            }
        )
        return answer

    def _mobilepay_refundable(self):
        """What is left to refund on this captured payment."""
        self.ensure_one()
        if self.state != CAPTURED:
            return 0.0
        return self.currency_id.round((self.captured_amount or self.amount) - self.refunded_amount)

    def _mobilepay_check_refundable(self, amount, currency):
        self.ensure_one()
        if self.state != CAPTURED:
            raise UserError(_("The MobilePay payment was not captured, so it cannot be refunded."))
        if currency != self.currency_id:
            raise UserError(
                _("A refund must be in the currency of the payment (%(currency)s).", currency=self.currency_id.name)
            )
        self.invalidate_recordset(["refunded_amount"])
        refundable = self._mobilepay_refundable()
        if currency.compare_amounts(amount, refundable) > 0:
            raise UserError(
                _(
                    "At most %(refundable)s %(currency)s can still be refunded on this MobilePay payment "
                    "(%(refunded)s of %(captured)s refunded already).",
                    refundable=refundable,
                    currency=currency.name,
                    refunded=self.refunded_amount,
                    captured=self.captured_amount or self.amount,
                )
            )

    def _mobilepay_is_overdue(self):
        """The poller should have looked at this transaction a while ago."""
        self.ensure_one()
        now = utcnow()
        if not self._mobilepay_needs_step(now):
            return False
        if not self.next_poll_at:
            return True
        return (now - self.next_poll_at).total_seconds() >= OVERDUE_GRACE_S or (
            self.next_poll_at <= now and not self.error_count and (self.intent == "cancel" or self.state == "reserved")
        )

    # ------------------------------------------------------------------ create calls

    def _mobilepay_fail(self, message):
        """MobilePay refused the create call: final, with the reason; committed. Returns the UserError to raise."""
        self.ensure_one()
        self.write({"intent": "cancel", "last_error": message})
        self._mobilepay_set_state(FAILED, message=message)
        self._mobilepay_commit()
        return UserError(message)

    def _mobilepay_send_create(self, provider, resend=False):
        """Send the create call with the stored key; the row ends created, failed or unknown (never raises).

        ``resend``: the poller re-sends a create whose answer was lost: a definite refusal then
        gets no recoveries a cashier's start gets (a payment already active on the PoS, a vanished
        PoS), only the read-back that every refusal gets before the row fails (``_mobilepay_refused``).
        """
        self.ensure_one()
        try:
            if self.kind == "refund":
                return self._mobilepay_send_refund(provider)
            return self._mobilepay_send_payment(provider, retried=resend)
        except UserError:
            return self  # refused: the row is failed (committed) and says why

    def _mobilepay_awaits_first_send(self, now=None):
        """A started payment whose create call the poller is to send now (the start stored its key).

        A sticker payment waits for its customer's check-in first (``awaiting_checkin``)."""
        self.ensure_one()
        return (
            self.kind == "payment"
            and self.state == NEW
            and not self.is_final
            and not self.awaiting_checkin
            and self._mobilepay_is_due(now)
        )

    def _mobilepay_first_send(self, providers):
        """Send a started payment's create call with its stored key, as the cashier's start would have.

        In a cursor of our own (the poller's, committing as it goes), the row locked by the caller
        (re-checked here). Never raises: MobilePay's refusals fail the row with the reason, a lost
        answer leaves it 'unknown' (re-sent with the same key), anything unexpected is rolled back
        and recorded with a back-off.
        """
        self.ensure_one()
        assert self.env.context.get("mobilepay_own_cursor"), "the first send commits: our own cursor only"
        if not self._mobilepay_lock(wait=False) or not self._mobilepay_awaits_first_send():
            return self
        method = self.payment_method_id
        try:
            if method.id not in providers:
                providers[method.id] = method._mobilepay_provider()
            self._mobilepay_send_create(providers[method.id])
        except UserError as error:  # the provider cannot be built (settings, demo emulator down)
            self._mobilepay_note_error(_("Connecting"), error)
            self._mobilepay_commit()
        except Exception as error:  # noqa: BLE001 - one transaction must never stop the others
            _logger.exception("MobilePay: sending the create call of transaction %s failed", self.id)
            self.env.cr.rollback()
            self.env.invalidate_all()
            if self._mobilepay_lock(wait=False) and not self.is_final:
                self._mobilepay_note_error(_("Sending"), error)
                self._mobilepay_commit()
        return self

    def _mobilepay_advance(self, providers=None):
        """What a poller does with a due transaction: a started payment's first send, else a step.

        From a cursor that is not ours (tests, a request), the first send runs in a cursor of its own.
        Only the server writes transaction rows: whoever asks, it acts as the superuser.
        """
        self.ensure_one()
        self = self.sudo()  # noqa: PLW0642 - the server's own step, whatever user asked for it
        providers = {} if providers is None else providers
        if not self._mobilepay_awaits_first_send():
            return self._mobilepay_process(providers)
        if self.env.context.get("mobilepay_own_cursor"):
            return self._mobilepay_first_send(providers)
        with self._mobilepay_own_cursor() as env:
            self.with_env(env)._mobilepay_first_send(providers)
        return self

    def _mobilepay_send_payment(self, provider, retried=False):
        registration = self.registration_id
        try:
            started = provider.create_payment(self._mobilepay_payment_request())
        except MobilePayError as error:
            if key_spent(error) and is_busy(error):
                return self._mobilepay_busy_for_the_key(provider, error)
            if outcome_unknown(error):
                return self._mobilepay_unanswered(error)
            if isinstance(error, MobilePayConflict) and error.reason is Reason.PAYMENT_ALREADY_ACTIVE and not retried:
                return self._mobilepay_recover_active_payment(provider)
            if isinstance(error, MobilePayConflict) and error.reason is Reason.POS_NOT_FOUND and not retried:
                # The PoS vanished at MobilePay: register it again, then retry once with a new key.
                self._mobilepay_log(_("MobilePay does not know the PoS any more: registering it again."))
                try:
                    registration.write({"state": "draft"})
                    registration._mobilepay_sync(provider)
                except MobilePayError as sync_error:
                    raise self._mobilepay_fail(
                        _("MobilePay could not register the Point of Sale: %(reason)s", reason=sync_error)
                    ) from None
                return self._mobilepay_retry_with_new_key(provider)
            if isinstance(error, MobilePayConflict):
                message = _("MobilePay refused the payment: %(reason)s", reason=error)
            else:
                message = _("MobilePay did not start the payment: %(reason)s", reason=error)
            return self._mobilepay_refused(provider, message, error)
        if started.qr_url and started.qr_url != self.qr_url:
            self.write({"qr_url": started.qr_url})
        return self._mobilepay_created(provider, payment_id=started.payment_id)

    def _mobilepay_payment_request(self):
        """The create call's content, rebuilt identically from the stored row on every re-send."""
        self.ensure_one()
        return PaymentRequest(
            order_id=self.provider_order_id,
            reference=self.provider_payment_id or None,
            amount=to_decimal(self.amount),
            currency=self.currency_id.name,
            idempotency_key=self.idempotency_key,
            pos_id=self.registration_id.pos_id or None,
            flow=PaymentFlow(self.flow or PaymentFlow.QR_ON_SCREEN.value),
            customer=self.sudo().customer_input or None,
            label=formats.clean_text(self.order_name or "") or None,
            # Stored at the start: a re-sent create repeats the first body exactly (a renamed till
            # must not turn the re-send into "another request with the same key").
            till_name=(self.till_name or self.config_id.name or "")[:255] or None,
            receipt_number=(self.order_name or "")[:255] or None,
            minimum_user_age=self.minimum_user_age or None,
            receipt=self._mobilepay_receipt(),
        )

    def _mobilepay_receipt(self):
        """The stored order lines as ``ReceiptLine``s (ePayment ``receipt``), or () when there are none."""
        self.ensure_one()
        lines = []
        for raw in self.receipt_lines or ():
            lines.append(
                ReceiptLine(
                    name=raw["name"],
                    line_id=raw["line_id"],
                    quantity=Decimal(raw["quantity"]),
                    unit_price=Decimal(raw["unit_price"]),
                    total=Decimal(raw["total"]),
                    tax=Decimal(raw["tax"]),
                    tax_percentage=int(raw["tax_percentage"]),
                    discount=Decimal(raw.get("discount") or 0),
                )
            )
        return tuple(lines)

    def _mobilepay_retry_with_new_key(self, provider):
        self.write({"idempotency_key": new_idempotency_key()})
        self._mobilepay_log(_("Retrying once with a new idempotency key."))
        self._mobilepay_commit(keep_lock=True)  # the new key is durable before the call
        return self._mobilepay_send_payment(provider, retried=True)

    def _mobilepay_created(self, provider, payment_id=None, refund_id=None, refund_state=None, refunded=None):
        """MobilePay accepted the create call: remember its id and let the poller follow.

        ``refund_state``: where the backend's refunds are final when made (ePayment), the refund's
        final state as MobilePay answered it (captured: paid out; ``refunded`` its amount), so it
        never waits for an event that may not come."""
        self._mobilepay_lock()
        if self.is_final:
            return self  # settled meanwhile (e.g. found by the reconciliation)
        if refund_id and refund_state in FINAL_STATES:
            values = {"provider_refund_id": refund_id, "error_count": 0, "last_error": False, "next_poll_at": False}
            if refund_state == CAPTURED:
                values["captured_amount"] = float(refunded) if refunded else self.amount
            self.write(values)
            self._mobilepay_set_state(refund_state, self._mobilepay_status_name(provider, refund_state),
                                      _("MobilePay refund %(id)s made.", id=refund_id)
                                      if refund_state == CAPTURED else None)
            self._mobilepay_commit()
            return self
        values = {"next_poll_at": utcnow(), "error_count": 0, "last_error": False}
        if payment_id:
            values["provider_payment_id"] = payment_id
            if self._mobilepay_hears_checkins():
                # MobilePay will say when the customer checks in (a check-in that came first makes
                # the payment due at once): no need to look before.
                values["next_poll_at"] += CHECKIN_FALLBACK
            elif self.kind == "payment" and self._mobilepay_hears_payment_events():
                values["next_poll_at"] += EVENT_FALLBACK  # its events will say what the customer does
        if refund_id:
            values["provider_refund_id"] = refund_id
        self.write(values)
        if refund_id:
            self._mobilepay_set_state(
                PENDING,
                self._mobilepay_status_name(provider, PENDING),
                _("MobilePay refund %(id)s created.", id=refund_id),
            )
        else:
            # A QR waits for someone to scan it; a push (phone, personal QR, check-in) is in the app already.
            pushed = self.flow and self.flow != "qr_on_screen"
            state = "waiting_for_approval" if pushed else "waiting_for_customer"
            self._mobilepay_set_state(
                state,
                self._mobilepay_status_name(provider, state),
                _("MobilePay payment %(id)s created.", id=payment_id),
            )
        if self.intent == "cancel":
            # The cashier cancelled while the create call was on its way.
            self._mobilepay_process(wait_lock=True)
        self._mobilepay_commit()
        self._mobilepay_trigger_poller()
        return self

    def _mobilepay_send_refund(self, provider):
        try:
            refund_id = provider.start_refund(
                payment_id=self.refunded_transaction_id.provider_payment_id,
                refund_order_id=self.provider_order_id,
                amount=to_decimal(self.amount),
                currency=self.currency_id.name,
                idempotency_key=self.idempotency_key,
            )
        except MobilePayError as error:
            if key_spent(error) and is_busy(error):
                return self._mobilepay_busy_for_the_key(provider, error)
            if outcome_unknown(error):
                return self._mobilepay_unanswered(error)
            messages = {
                Reason.REFUND_TOO_HIGH: _(
                    "MobilePay refuses: the refund exceeds what is left to refund on the payment."
                ),
                Reason.REFUND_TOO_OLD: _("MobilePay refuses: the payment is too old to be refunded."),
                Reason.BALANCE_TOO_LOW: _("MobilePay refuses: the store's MobilePay balance cannot cover the refund."),
                Reason.NOT_CAPTURED: _("MobilePay refuses: the payment is not captured."),
                Reason.REFUND_CURRENCY_DIFFERS: _("MobilePay refuses: the refund currency differs from the payment's."),
            }
            reason = getattr(error, "reason", None)
            if reason in messages:
                message = messages[reason]
            elif isinstance(error, MobilePayConflict):
                message = _("MobilePay refused the refund: %(reason)s", reason=error)
            else:
                message = _("MobilePay did not start the refund: %(reason)s", reason=error)
            # A refund an earlier attempt made is in the payment's event log under our key.
            return self._mobilepay_refused(provider, message, error)
        # Final at once where refunds are (ePayment: the answer is the refund; no event is awaited).
        return self._mobilepay_created(
            provider, refund_id=refund_id, refund_state=CAPTURED if provider.refunds_are_final else None
        )
