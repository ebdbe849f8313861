import logging
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import _, api, fields, models
from odoo.modules import module as odoo_module
from odoo.sql_db import Cursor

from .mobilepay_flows import FLOW_SELECTION
from .mobilepay_states import (
    CAPTURED,
    FAILED,
    FINAL_STATES,
    NEW,
    REFUND_COUNTING_STATES,
    STATE_SELECTION,
)

_logger = logging.getLogger(__name__)

# What the POS may learn through the bus: ids and states, nothing else. MobilePay's
# transaction id is there so that a paid push is all the POS needs (no status call).
PUSH_FIELDS = ("reference", "line_uuid", "kind", "state", "is_final", "paid", "transaction_id")
MIN_POLL_AFTER_MS = 1000


def utcnow():
    """Now, naive UTC with microseconds (Odoo's Datetime.now() drops them; poll delays need them)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def in_test():
    """Whether Odoo runs a test now (no commits: the crons make one pass in the test's cursor instead)."""
    return bool(odoo_module.current_test)


class PosMobilepayTransaction(models.Model):
    """A MobilePay payment or refund started from the POS, with what we know and what we want of it."""

    _name = "pos.mobilepay.transaction"
    _description = "MobilePay Transaction"
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: str(uuid.uuid4()),
        help="Our own reference: what the POS correlates answers by.",
    )
    kind = fields.Selection(
        selection=[("payment", "Payment"), ("refund", "Refund")], required=True, readonly=True, default="payment"
    )
    config_id = fields.Many2one(
        "pos.config",
        string="Point of Sale",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    session_id = fields.Many2one(
        "pos.session", string="Session", readonly=True, index=True, ondelete="set null", check_company=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    payment_method_id = fields.Many2one(
        "pos.payment.method",
        string="Payment Method",
        required=True,
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
    registration_id = fields.Many2one(
        "pos.mobilepay.registration", string="MobilePay PoS", readonly=True, ondelete="set null", index=True
    )
    line_uuid = fields.Char(string="Payment Line", readonly=True, index=True, copy=False)
    order_uuid = fields.Char(string="Order UUID", readonly=True, index=True, copy=False)
    order_name = fields.Char(string="Order", readonly=True, copy=False)
    provider_order_id = fields.Char(string="MobilePay Order ID", readonly=True, copy=False)
    provider_payment_id = fields.Char(string="MobilePay Payment ID", readonly=True, index=True, copy=False)
    provider_refund_id = fields.Char(string="MobilePay Refund ID", readonly=True, index=True, copy=False)
    refunded_transaction_id = fields.Many2one(
        "pos.mobilepay.transaction", string="Refunded Payment", readonly=True, index=True, ondelete="restrict"
    )
    refund_ids = fields.One2many("pos.mobilepay.transaction", "refunded_transaction_id", string="Refunds")
    pos_payment_id = fields.Many2one(
        "pos.payment",
        string="Booked As",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The POS payment line this captured money is booked on (each transaction books once).",
    )
    idempotency_key = fields.Char(
        readonly=True, copy=False, help="Key of the create call, committed before the call was made."
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    captured_amount = fields.Monetary(readonly=True, currency_field="currency_id", copy=False)
    refunded_amount = fields.Monetary(
        compute="_compute_refunded_amount",
        currency_field="currency_id",
        help="Refunds that are done or on their way.",
    )
    state = fields.Selection(
        selection=STATE_SELECTION, required=True, default=NEW, readonly=True, index=True, copy=False
    )
    is_final = fields.Boolean(compute="_compute_is_final", store=True, index=True)
    provider_status = fields.Char(string="MobilePay Status", readonly=True, copy=False)
    intent = fields.Selection(
        selection=[("capture", "Capture"), ("cancel", "Cancel")],
        required=True,
        default="capture",
        readonly=True,
        help="What we want done with the money once it is reserved; recorded before we act on it.",
    )
    next_poll_at = fields.Datetime(
        string="Next Poll",
        readonly=True,
        index=True,
        copy=False,
        help="MobilePay may not be polled about this transaction before then (pollDelayInMs).",
    )
    last_poll_at = fields.Datetime(string="Last Poll", readonly=True, copy=False)
    poll_delay_ms = fields.Integer(readonly=True, copy=False)
    state_changed_at = fields.Datetime(readonly=True, copy=False, default=lambda self: utcnow())
    paired_at = fields.Datetime(
        string="Customer Paired",
        readonly=True,
        copy=False,
        help="When MobilePay first showed this payment past waiting for the customer: a check-in notified "
        "at its PoS before then was used by it.",
    )
    error_count = fields.Integer(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    flow = fields.Selection(
        selection=FLOW_SELECTION,
        readonly=True,
        default="qr_on_screen",
        help="How the payment reached the customer (ePayment; v10 payments always use the register's QR).",
    )
    customer_input = fields.Char(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="What addressed the customer (phone number, scanned code or check-in token): the create call is "
        "re-sent with exactly this body.",
    )
    awaiting_checkin = fields.Boolean(
        readonly=True,
        copy=False,
        help="Sticker flow: the create call waits until a customer scans the register's sticker.",
    )
    minimum_user_age = fields.Integer(
        readonly=True, copy=False, help="ePayment: the customer must be at least this old (0: no limit)."
    )
    receipt_lines = fields.Json(
        readonly=True,
        copy=False,
        help="ePayment: the order lines shown in the customer's app (only when this line pays the whole order).",
    )
    till_name = fields.Char(
        readonly=True, copy=False, help="The register's name when the payment started, sent with every create call."
    )
    refused_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="Refunds: when MobilePay first refused the current key. That nothing was made is concluded only "
        "a while later (an earlier attempt with the key may still be on its way).",
    )
    settle_attempt = fields.Integer(
        readonly=True,
        copy=False,
        help="Captures or cancels MobilePay refused so far. MobilePay keeps a refusal for the request's "
        "idempotency key, so the next attempt is a new request with a new key (derived from this number).",
    )
    qr_url = fields.Char(
        string="QR Image", readonly=True, copy=False, help="The one-time QR made for this payment (ePayment)."
    )
    unbooked_accepted = fields.Boolean(
        string="Accepted Without an Order",
        readonly=True,
        copy=False,
        help="An administrator accepted that this captured money is on no order (refunded in the Vipps "
        "MobilePay portal, booked by hand): the session may close.",
    )
    event_ids = fields.One2many("pos.mobilepay.transaction.event", "transaction_id", string="History")

    _reference_uniq = models.Constraint(
        "unique(reference)", "The reference of a MobilePay transaction must be unique."
    )
    _amount_positive = models.Constraint("CHECK(amount > 0)", "A MobilePay amount must be positive.")

    def init(self):
        # One open transaction per POS line: two concurrent starts for the same line cannot both go through.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS pos_mobilepay_transaction_open_line_uniq
                ON pos_mobilepay_transaction (config_id, kind, line_uuid)
             WHERE NOT is_final AND line_uuid IS NOT NULL
            """
        )
        # Has a payment of this PoS paired with a customer since a check-in? (the poller asks often)
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS pos_mobilepay_transaction_registration_paired_idx
                ON pos_mobilepay_transaction (registration_id, paired_at)
             WHERE paired_at IS NOT NULL
            """
        )
        # Captured money is booked on one POS payment line at most.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS pos_mobilepay_transaction_pos_payment_uniq
                ON pos_mobilepay_transaction (pos_payment_id)
             WHERE pos_payment_id IS NOT NULL
            """
        )

    @api.depends("state")
    def _compute_is_final(self):
        for transaction in self:
            transaction.is_final = transaction.state in FINAL_STATES

    @api.depends("refund_ids.state", "refund_ids.amount")
    def _compute_refunded_amount(self):
        for transaction in self:
            transaction.refunded_amount = sum(
                transaction.refund_ids.filtered(lambda r: r.state in REFUND_COUNTING_STATES).mapped("amount")
            )

    @api.depends("reference", "order_name", "kind")
    def _compute_display_name(self):
        for transaction in self:
            label = _("Refund") if transaction.kind == "refund" else _("Payment")
            transaction.display_name = f"{label} {transaction.order_name or transaction.reference}"

    # ------------------------------------------------------------------ cursors

    @contextmanager
    def _mobilepay_own_cursor(self):
        """A cursor of our own that commits by itself (at the end, and wherever we commit on purpose).

        Used where something must be durable before an HTTP call (an idempotency key, an
        intent). It runs READ COMMITTED, so that row locks simply serialise workers and
        servers instead of failing with serialisation errors. In tests (registry in test
        mode) it is a test cursor on the test transaction: commits become savepoints.
        The caller's cursor cannot see what is written here (its snapshot is older):
        build answers from the yielded environment.
        """
        self.env.flush_all()
        with self.env.registry.cursor() as cr:
            if isinstance(cr, Cursor):  # a test's cursor (TestCursor) keeps the test transaction's level
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            yield self.env(cr=cr, context=dict(self.env.context, mobilepay_own_cursor=True))
        self.env.invalidate_all()

    def _mobilepay_commit(self, keep_lock=False):
        """Commit when working in our own cursor (never a request's or a test's cursor).

        ``keep_lock``: lock these rows again at once, for a worker that goes on with a
        create call (the poller skips locked rows, so it never re-sends a call in flight).
        """
        if self.env.context.get("mobilepay_own_cursor"):
            self.env.cr.commit()  # pylint: disable=invalid-commit - our own cursor, never a request's
            if keep_lock:
                for transaction in self:
                    transaction._mobilepay_lock()

    def _mobilepay_lock(self, wait=True, log_exceptions=True):
        """Lock this row for the rest of the transaction; False when another worker holds it (wait=False).
        ``log_exceptions=False``: a lock wait that times out is the caller's to retry, not a bad query."""
        self.ensure_one()
        suffix = "" if wait else " SKIP LOCKED"
        self.env.cr.execute(
            f"SELECT id FROM pos_mobilepay_transaction WHERE id = %s FOR UPDATE{suffix}",  # noqa: S608
            (self.id,),
            log_exceptions=log_exceptions,
        )
        locked = bool(self.env.cr.fetchone())
        if locked:
            self.invalidate_recordset()
        return locked

    # ------------------------------------------------------------------ history and notifications

    def _mobilepay_log(self, message, level=logging.INFO):
        """Add a line to the history (and to the server log)."""
        for transaction in self:
            self.env["pos.mobilepay.transaction.event"].sudo().create(
                {
                    "transaction_id": transaction.id,
                    "message": message,
                    "state": transaction.state,
                    "provider_status": transaction.provider_status,
                }
            )
            _logger.log(level, "MobilePay %s %s: %s", transaction.kind, transaction.reference, message)

    def _mobilepay_set_state(self, state, provider_status=None, message=None):
        """Move to ``state`` (history, push to the POS); returns whether it changed."""
        self.ensure_one()
        values = {}
        if provider_status and provider_status != self.provider_status:
            values["provider_status"] = provider_status
        changed = state != self.state
        if changed:
            values.update(state=state, state_changed_at=utcnow())
        if values:
            self.sudo().write(values)
        if changed:
            self._mobilepay_log(message or _("State: %(state)s.", state=self._mobilepay_state_label()))
            self._mobilepay_push()
        return changed

    def _mobilepay_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env)).get(self.state, self.state)

    def _mobilepay_push_payload(self):
        status = self._mobilepay_status()
        return {key: status[key] for key in PUSH_FIELDS}

    def _mobilepay_push(self):
        """Tell the POS (bus, private channel of its config) that the state changed."""
        for transaction in self:
            transaction.config_id.sudo()._notify("MOBILEPAY_STATE", transaction._mobilepay_push_payload())

    # ------------------------------------------------------------------ answers for the POS

    def _mobilepay_reason(self):
        """Why a transaction ended without money moving (or what went wrong), for the cashier."""
        self.ensure_one()
        refund = self.kind == "refund"
        reasons = {
            "cancelled_by_customer": _("The customer declined the payment in the MobilePay app."),
            "cancelled_by_cashier": _("The refund was cancelled.") if refund else _("The payment was cancelled."),
            "cancelled_by_provider": _("MobilePay could not carry out the refund.")
            if refund
            else _("MobilePay cancelled the payment (it timed out or the card was declined)."),
            "expired": _("The reservation expired before the payment was captured."),
        }
        if self.state == FAILED:
            return self.last_error or _("The MobilePay transaction could not be started.")
        if self.state in reasons:
            return reasons[self.state]
        if not self.is_final and self.last_error:
            return self.last_error
        return False

    def _mobilepay_poll_after_ms(self):
        """When the POS should ask again (ms); 0 once final."""
        self.ensure_one()
        if self.is_final:
            return 0
        if not self.next_poll_at:
            return MIN_POLL_AFTER_MS
        delta = (self.next_poll_at - utcnow()).total_seconds() * 1000
        return max(MIN_POLL_AFTER_MS, int(delta) + 200)

    def _mobilepay_status(self):
        """The status dict of the RPC contract (see pos_payment_method_pos_api)."""
        self.ensure_one()
        transaction_id = self.provider_refund_id if self.kind == "refund" else self.provider_payment_id
        return {
            "reference": self.reference,
            "kind": self.kind,
            "line_uuid": self.line_uuid or False,
            "state": self.state,
            "provider_status": self.provider_status or False,
            "is_final": self.state in FINAL_STATES,
            "paid": self.state == CAPTURED,
            "reason": self._mobilepay_reason(),
            "poll_after_ms": self._mobilepay_poll_after_ms(),
            "transaction_id": transaction_id or False,
            "amount": self.amount,
            "currency": self.currency_id.name,
            "flow": self.flow or "qr_on_screen",
            "qr_url": self.qr_url or False,
            "awaiting_checkin": bool(self.awaiting_checkin) and not self.is_final,
        }
