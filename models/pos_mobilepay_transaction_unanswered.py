"""Creates without a definite answer: lost (a timeout, a dropped connection, a 5xx, a crash) or busy
("try again later"). Such a row is never failed: it is re-sent with its stored key until MobilePay
answers, looked up by our reference or order id when its key is too old, and a refusal that follows
an attempt that may have reached MobilePay is read back before it fails the row.
"""

import logging
from datetime import timedelta

from odoo import _, models

from ..mobilepay.errors import MobilePayError, is_busy, outcome_unknown
from ..mobilepay.idempotency import new_idempotency_key
from .mobilepay_states import UNKNOWN
from .pos_mobilepay_transaction import utcnow
from .pos_mobilepay_transaction_processing import MAX_BACKOFF_S

_logger = logging.getLogger(__name__)

# MobilePay keeps idempotency keys at least 24 h (API.md 11.2); past this age a stored key is
# no longer trusted to replay, and a lost create is looked up by our order id instead.
KEY_TRUST = timedelta(hours=23)
# A refund's key is taken to have made nothing only this long after it was first refused: an earlier
# attempt with it (lost to a timeout, or the client's own retry) has landed at MobilePay by then.
REFUND_QUIET = timedelta(seconds=30)


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    def _mobilepay_unanswered(self, error, wait_at_least=0):
        """The create call got no definite answer (lost, or "busy, try again later": an earlier attempt
        with the same key may have made it): keep the row, re-send later with the same key."""
        self.ensure_one()
        count = self.error_count + 1
        wait = max(min(2**count, MAX_BACKOFF_S), wait_at_least)
        if is_busy(error) and error.retry_after:
            wait = max(wait, min(error.retry_after, MAX_BACKOFF_S))
        if is_busy(error):
            last_error = _("MobilePay is busy and asked to try again later: %(error)s", error=error)
        else:
            last_error = _("MobilePay has not answered yet: %(error)s", error=error)
        self.write(
            {"error_count": count, "last_error": last_error, "next_poll_at": utcnow() + timedelta(seconds=wait)}
        )
        if self.state != UNKNOWN:
            self._mobilepay_set_state(
                UNKNOWN,
                message=_("No answer from MobilePay (%(error)s): re-sent later with its stored key.", error=error),
            )
        elif count % 10 == 0:
            self._mobilepay_log(_("Still no answer from MobilePay: %(error)s", error=error), level=logging.WARNING)
        self._mobilepay_commit()
        self._mobilepay_trigger_poller(utcnow() + timedelta(seconds=wait))
        return self

    def _mobilepay_refused(self, provider, message, error):
        """MobilePay refused the create call. An earlier attempt with the same key (a lost answer, the
        client's own retries, a worker that died) may still have made it: the row fails only when a
        read-back shows nothing was made (for a refund, once that attempt has had time to land). Raises
        the UserError of the failure; returns the row when it was adopted or is left to wait (unknown)."""
        self.ensure_one()
        try:
            if self._mobilepay_adopt_made(provider):
                return self
        except MobilePayError as lookup_error:
            if outcome_unknown(lookup_error):
                return self._mobilepay_unanswered(lookup_error)
            # The look-up itself was refused (e.g. the keys): the create's refusal stands.
            _logger.info("MobilePay: looking up refused transaction %s was refused too: %s", self.id, lookup_error)
            raise self._mobilepay_fail(message) from None
        if self._mobilepay_awaits_quiet(provider, error):
            return self
        raise self._mobilepay_fail(message)

    def _mobilepay_awaits_quiet(self, provider, error):
        """Whether this refund must wait before "nothing was made" is concluded (it then stays 'not answered
        yet'). A refund that is final when made has no guard against a second one but what is left to
        refund: an earlier attempt with its key (a timeout, the client's own retry) may still be on its way
        at MobilePay when a later one is refused. The conclusion waits REFUND_QUIET after the first refusal
        of the key, and reads back again."""
        self.ensure_one()
        if self.kind != "refund" or not provider.refunds_are_final:
            return False
        now = utcnow()
        if not self.refused_at:
            self.write({"refused_at": now})
        remaining = (self.refused_at + REFUND_QUIET - now).total_seconds()
        if remaining <= 0:
            return False
        self._mobilepay_unanswered(error, wait_at_least=remaining)
        return True

    def _mobilepay_busy_for_the_key(self, provider, error):
        """MobilePay answered "try again later" and keeps that answer for the create's key (a Problem of the
        API, not a gateway's 423/429): the same key would only bring it back. What an earlier attempt may
        have made is read back; when nothing was made, the next attempt is a new request with a new key
        (stored before it goes), after the wait. Never a failure."""
        self.ensure_one()
        try:
            if self._mobilepay_adopt_made(provider):
                return self
        except MobilePayError as lookup_error:
            return self._mobilepay_unanswered(lookup_error)  # cannot tell yet: the same key, later
        if self._mobilepay_awaits_quiet(provider, error):
            return self
        self.write({"idempotency_key": new_idempotency_key(), "refused_at": False})
        self._mobilepay_log(
            _("MobilePay keeps its 'try again later' for this key and made nothing: the next attempt uses a new key.")
        )
        return self._mobilepay_unanswered(error)

    def _mobilepay_lost_key(self):
        """The stored key is too old to be replayed by MobilePay."""
        self.ensure_one()
        return utcnow() - self.create_date >= KEY_TRUST

    def _mobilepay_adopt_made(self, provider):
        """Look this create up at MobilePay (our reference or order id, a refund by its key) and adopt
        what it made for it; True when something was found and adopted, False when nothing was made."""
        self.ensure_one()
        if self.kind == "refund":
            snapshot = provider.find_refund(
                self.refunded_transaction_id.provider_payment_id,
                self.provider_order_id,
                idempotency_key=self.idempotency_key,
            )
            field_name, found = "refund_id", snapshot and snapshot.refund_id
        else:
            snapshot = provider.find_payment(self.provider_order_id, reference=self.provider_payment_id or None)
            field_name, found = "payment_id", snapshot and snapshot.payment_id
        # Ours, unless another row (an earlier attempt of the same line) follows it already.
        domain = [(f"provider_{field_name}", "=", found), ("kind", "=", self.kind), ("id", "!=", self.id)]
        if not found or self.search_count(domain):
            return False
        self._mobilepay_log(_("Found %(id)s at MobilePay, made for this start.", id=found))
        if self.kind == "refund":
            final = snapshot.state.value if provider.refunds_are_final and snapshot.state.is_final else None
            self._mobilepay_created(provider, refund_id=found, refund_state=final, refunded=snapshot.amount)
        else:
            self._mobilepay_created(provider, payment_id=found)
        return True

    def _mobilepay_find_lost(self, provider):
        """Look a create whose answer was lost up by our order id; adopt what MobilePay made.

        Returns True when the row was settled (adopted, or failed because MobilePay holds
        nothing for it and its key is too old to re-send), False when it is left to the
        poller's re-sending.
        """
        self.ensure_one()
        if self._mobilepay_adopt_made(provider):
            return True
        if self._mobilepay_lost_key():
            self._mobilepay_fail(_("MobilePay made nothing for this start, and its key has expired: closed."))
            return True
        return False

    def _mobilepay_resend(self, provider):
        """A step of the poller on a row whose create has no answer yet (state new or unknown)."""
        self.ensure_one()
        if self._mobilepay_lost_key():
            try:
                if self._mobilepay_find_lost(provider):
                    return
            except MobilePayError as error:
                self._mobilepay_unanswered(error)
            return
        if self.error_count % 10 in (0, 1):  # the history notes the first re-sends, then one in ten
            self._mobilepay_log(_("Re-sending the create call with its stored key."))
        self._mobilepay_send_create(provider, resend=True)
