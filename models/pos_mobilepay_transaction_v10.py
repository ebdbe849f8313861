"""What only the PoS API v10 needs of a payment start: the 1301 recovery (a payment already active on
the PoS) — MobilePay v10 allows one active payment per PoS (API.md 11.1)."""

import time

from odoo import _, models

from ..mobilepay.errors import MobilePayError
from ..mobilepay.polling import next_poll_at
from .mobilepay_states import BLOCKING_PAYMENT_STATES, CANCELLED_BY_CASHIER
from .pos_mobilepay_transaction import utcnow

MAX_POLL_GATE_WAIT_S = 10.0


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    def _mobilepay_recover_active_payment(self, provider):
        """409/1301: resume the PoS's active payment if it is this line's, else cancel it and retry once."""
        registration = self.registration_id
        # Looking the active payments up polls each of them: not before MobilePay's poll delay allows
        # (the last poll plus pollDelayInMs; a later next poll time is our own choice, not the rule).
        followed = self.search(
            [
                ("registration_id", "=", registration.id),
                ("kind", "=", "payment"),
                ("is_final", "=", False),
                ("provider_payment_id", "!=", False),
                ("last_poll_at", "!=", False),
            ]
        )
        allowed = [next_poll_at(t.last_poll_at, t.poll_delay_ms) for t in followed]
        if allowed:
            wait = (max(allowed) - utcnow()).total_seconds()
            time.sleep(min(max(wait, 0), MAX_POLL_GATE_WAIT_S))
        try:
            snapshots = provider.active_payments(registration.pos_id)
        except MobilePayError as error:
            raise self._mobilepay_fail(
                _(
                    "A payment is already running on this MobilePay PoS and could not be looked up: %(reason)s",
                    reason=error,
                )
            ) from None
        received_at = utcnow()
        for snapshot in snapshots:
            # What we just learnt counts as a poll of our rows (state and next poll time).
            for other in self.search(
                [("provider_payment_id", "=", snapshot.payment_id), ("kind", "=", "payment"), ("id", "!=", self.id)]
            ):
                other._mobilepay_lock()
                if not other.is_final:
                    other._mobilepay_apply_payment_snapshot(snapshot, received_at)
        active = [s for s in snapshots if s.state.value in BLOCKING_PAYMENT_STATES]
        for snapshot in active:
            same_amount = (
                snapshot.amount is not None
                and self.currency_id.compare_amounts(float(snapshot.amount), self.amount) == 0
            )
            if snapshot.order_id == self.provider_order_id and same_amount:
                self.write({"provider_payment_id": snapshot.payment_id})
                self._mobilepay_log(
                    _("Resumed payment %(id)s that MobilePay already had for this line.", id=snapshot.payment_id)
                )
                self._mobilepay_apply_payment_snapshot(snapshot, utcnow())
                self._mobilepay_commit()
                self._mobilepay_trigger_poller()
                return self
        for snapshot in active:
            try:
                provider.cancel_payment(snapshot.payment_id)
            except MobilePayError as error:
                raise self._mobilepay_fail(
                    _("Another payment blocks this MobilePay PoS and could not be cancelled: %(reason)s", reason=error)
                ) from None
            self._mobilepay_log(
                _(
                    "Cancelled payment %(id)s that blocked the PoS (order %(order)s).",
                    id=snapshot.payment_id,
                    order=snapshot.order_id,
                )
            )
            for other in self.search([("provider_payment_id", "=", snapshot.payment_id), ("kind", "=", "payment")]):
                other._mobilepay_lock()
                if not other.is_final:
                    other.write({"intent": "cancel"})
                    other._mobilepay_set_state(
                        CANCELLED_BY_CASHIER,
                        "CancelledByClient",
                        _("Cancelled: another payment was started on the same PoS."),
                    )
        return self._mobilepay_retry_with_new_key(provider)
