"""The RPC methods the POS calls, on ``pos.payment.method``.

Called as ``this.pos.data.call("pos.payment.method", "<name>", [[method_id], payload])``.
Only Point of Sale users may call them, for a session that is open, on a POS config
they can read (company rules are checked as the user) that uses this payment method.

* ``mobilepay_start_payment([id], {pos_session_id, line_uuid, order_uuid, order_name, amount})``
  -> the status dict below plus ``qr_payload``, ``qr_svg`` (data URI), ``beacon_id``,
  ``phone_url`` (demo mode only, else false). Idempotent on ``line_uuid``: while the
  line's transaction is not final (or once it is captured) the same one comes back.
* ``mobilepay_cancel_payment([id], {pos_session_id, reference | line_uuid})`` -> status dict
  (records the intent to cancel first, then cancels at MobilePay; a captured payment stays
  captured). By ``line_uuid`` it finds the line's running transaction, for a POS that lost
  the start's answer; with nothing running for the line it answers ``False``.
* ``mobilepay_payment_status([id], {pos_session_id, reference})`` -> status dict: ``reference``, ``kind``,
  ``line_uuid``, ``state``, ``provider_status``, ``is_final``, ``paid`` (true only once
  captured), ``reason``, ``poll_after_ms``, ``transaction_id`` (MobilePay's payment id,
  or refund id for a refund), ``amount``, ``currency``. Polls MobilePay itself when the
  poller is overdue (never before the stored next poll time).

Cancel and status act only on transactions of the given session's POS config, and the
session must be open.
* ``mobilepay_start_refund([id], {pos_session_id, line_uuid, order_uuid, order_name, amount,
  refunded_transaction_reference | refunded_order_uuid})`` -> status dict.
"""

import logging
import math
import uuid
from datetime import timedelta

import psycopg2

from odoo import _, models
from odoo.exceptions import AccessError, UserError

from ..mobilepay import formats
from ..mobilepay.idempotency import new_idempotency_key
from ..mobilepay.provider import PaymentFlow
from .mobilepay_flows import MAX_PERSONAL_QR
from .mobilepay_states import (
    CANCELLED_BY_CASHIER,
    CAPTURED,
    EPAYMENT_CURRENCIES,
    NEW,
    SUPPORTED_CURRENCIES,
    UNSTARTED_STATES,
)
from .pos_mobilepay_transaction import utcnow
from .pos_mobilepay_transaction_processing import to_decimal
from .pos_mobilepay_transaction_start import START_GRACE

_logger = logging.getLogger(__name__)

MAX_ORDER_TEXT = 128
MAX_AMOUNT = float(formats.MAX_AMOUNT)


class PosPaymentMethod(models.Model):
    _inherit = "pos.payment.method"

    # ------------------------------------------------------------------ RPC: payments

    def mobilepay_start_payment(self, payload):
        self._mobilepay_check_pos_user()
        request = self._mobilepay_read_request(payload)
        return self._mobilepay_start(request, "payment")

    def mobilepay_cancel_payment(self, payload):
        self._mobilepay_check_pos_user()
        transaction = self._mobilepay_transaction_for_pos(payload, by_line=True)
        if not transaction:
            return False
        with transaction._mobilepay_own_cursor() as env:
            transaction = transaction.with_env(env).sudo()
            transaction._mobilepay_lock()
            if transaction.awaiting_checkin and not transaction.is_final:
                # Nothing was sent: nobody scanned the sticker yet.
                transaction.write({"intent": "cancel", "awaiting_checkin": False})
                transaction._mobilepay_set_state(
                    CANCELLED_BY_CASHIER,
                    message=_("Cancelled at the POS by %(user)s before a customer scanned the sticker.",
                              user=self.env.user.name),
                )
                transaction._mobilepay_commit()
                return transaction._mobilepay_status()
            if not transaction.is_final:
                if transaction.intent != "cancel":
                    values = {"intent": "cancel", "error_count": 0}
                    if transaction.state in UNSTARTED_STATES:
                        values["next_poll_at"] = utcnow()  # find out now what the lost create made
                    transaction.write(values)
                    transaction._mobilepay_log(_("Cancel asked at the POS by %(user)s.", user=self.env.user.name))
                    transaction._mobilepay_commit(keep_lock=True)  # the intent is durable before we act on it
                if transaction.state != NEW:
                    transaction._mobilepay_process(wait_lock=True)
            return transaction._mobilepay_status()

    def mobilepay_payment_status(self, payload):
        self._mobilepay_check_pos_user()
        transaction = self._mobilepay_transaction_for_pos(payload).sudo()
        if transaction._mobilepay_is_overdue():
            # The poller is late (or no cron runs): ask MobilePay now, then wake the poller up.
            # In a cursor of our own (READ COMMITTED): the row lock is taken with SKIP LOCKED,
            # which a REPEATABLE READ request cursor could only do by failing to serialise.
            with transaction._mobilepay_own_cursor() as env:
                late = transaction.with_env(env)
                late._mobilepay_advance()
                late._mobilepay_trigger_poller()
                return late._mobilepay_status()
        return transaction._mobilepay_status()

    # ------------------------------------------------------------------ RPC: refunds

    def mobilepay_start_refund(self, payload):
        self._mobilepay_check_pos_user()
        request = self._mobilepay_read_request(payload)
        reference = payload.get("refunded_transaction_reference")
        order_uuid = payload.get("refunded_order_uuid")
        if not (isinstance(reference, str) and reference) and not (isinstance(order_uuid, str) and order_uuid):
            raise UserError(_("Say which MobilePay payment to refund (its reference or its order)."))
        request["original"] = self._mobilepay_refunded_payment(reference, order_uuid, request)
        return self._mobilepay_start(request, "refund")

    # ------------------------------------------------------------------ checks

    def _mobilepay_check_pos_user(self):
        if not self.env.user.has_group("point_of_sale.group_pos_user"):
            raise AccessError(_("Only Point of Sale users can take MobilePay payments."))
        self.ensure_one()
        self.check_access("read")  # as the user: the company rules apply
        if self.use_payment_terminal != "mobilepay":
            raise UserError(_("%(method)s is not a MobilePay payment method.", method=self.name))

    def _mobilepay_read_request(self, payload):
        """Validate a start payload as the POS user; returns the values we work with."""
        if not isinstance(payload, dict):
            raise UserError(_("Invalid MobilePay request."))
        self._mobilepay_check_ready()
        session = self._mobilepay_open_session(payload.get("pos_session_id"))
        config = session.config_id
        currency = self._mobilepay_currency(config)
        line_uuid = payload.get("line_uuid")
        try:
            formats.check_text(line_uuid)
        except ValueError:
            raise UserError(_("The payment line has no valid identifier.")) from None
        order_uuid = payload.get("order_uuid")
        order_name = payload.get("order_name") or ""
        if not isinstance(order_uuid, str) or not order_uuid or len(order_uuid) > MAX_ORDER_TEXT:
            raise UserError(_("The order has no valid identifier."))
        if not isinstance(order_name, str) or len(order_name) > MAX_ORDER_TEXT:
            raise UserError(_("The order name is not valid."))
        amount = payload.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise UserError(_("The amount must be a number."))
        try:
            amount = float(amount)
        except OverflowError:
            amount = math.inf
        if not math.isfinite(amount) or abs(amount) >= MAX_AMOUNT:
            raise UserError(_("The amount %(amount)s is not a valid MobilePay amount.", amount=payload.get("amount")))
        amount = currency.round(amount)
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(_("The amount to pay with MobilePay must be greater than zero."))
        try:
            to_decimal(amount)
        except ValueError as error:
            raise UserError(_("The amount %(amount)s is not valid: %(reason)s.", amount=amount, reason=error)) from None
        flow = payload.get("flow")
        customer = payload.get("customer")
        if flow is not None and not (isinstance(flow, str) and len(flow) <= 32):
            raise UserError(_("Unknown MobilePay payment flow."))
        if customer is not None and not (isinstance(customer, str) and len(customer) <= MAX_PERSONAL_QR):
            raise UserError(_("The customer's phone number or code is not valid."))
        return {
            "flow": flow or None,
            "customer": customer or None,
            "session": session,
            "config": config,
            "currency": currency,
            "line_uuid": line_uuid,
            "order_uuid": order_uuid,
            "order_name": order_name,
            "amount": amount,
        }

    def _mobilepay_open_session(self, session_id):
        try:
            session_id = int(session_id)
        except (TypeError, ValueError):
            raise UserError(_("Unknown Point of Sale session.")) from None
        session = self.env["pos.session"].browse(session_id).exists()
        if not session:
            raise UserError(_("Unknown Point of Sale session."))
        session.check_access("read")
        config = session.config_id
        config.check_access("read")
        if session.state != "opened":
            raise UserError(_("The Point of Sale session %(session)s is not open.", session=session.name))
        if self not in config.payment_method_ids:
            raise UserError(_("%(method)s is not a payment method of %(pos)s.", method=self.name, pos=config.name))
        return session

    def _mobilepay_currency(self, config):
        currency = config.currency_id
        supported = EPAYMENT_CURRENCIES if self.mobilepay_api == "epayment" else SUPPORTED_CURRENCIES
        if currency.name not in supported:
            raise UserError(
                _(
                    "%(method)s takes payments in %(currencies)s only; %(pos)s works in %(currency)s.",
                    method=self.name,
                    currencies=", ".join(sorted(supported)),
                    pos=config.name,
                    currency=currency.name,
                )
            )
        journal_currency = self.journal_id.currency_id
        if journal_currency and journal_currency != currency:
            raise UserError(
                _(
                    "The journal of %(method)s is in %(journal)s, the Point of Sale in %(currency)s.",
                    method=self.name,
                    journal=journal_currency.name,
                    currency=currency.name,
                )
            )
        return currency

    def _mobilepay_transaction_for_pos(self, payload, by_line=False):
        """The transaction the POS asks about: of this method, on the open session's POS config.

        ``payload``: ``{pos_session_id, reference}``, or with ``by_line`` also
        ``{pos_session_id, line_uuid}`` (then the line's transaction that is not final, or
        an empty recordset when there is none). Read as the user: the company rules apply.
        """
        if not isinstance(payload, dict):
            raise UserError(_("Invalid MobilePay request."))
        self._mobilepay_check_ready()
        session = self._mobilepay_open_session(payload.get("pos_session_id"))
        Transaction = self.env["pos.mobilepay.transaction"]
        domain = [("payment_method_id", "=", self.id), ("config_id", "=", session.config_id.id)]
        reference = payload.get("reference")
        line_uuid = payload.get("line_uuid")
        if by_line and not reference and isinstance(line_uuid, str) and 0 < len(line_uuid) <= MAX_ORDER_TEXT:
            return Transaction.search(domain + [("line_uuid", "=", line_uuid), ("is_final", "=", False)], limit=1)
        if not isinstance(reference, str) or not reference or len(reference) > MAX_ORDER_TEXT:
            raise UserError(_("Unknown MobilePay transaction."))
        transaction = Transaction.search(domain + [("reference", "=", reference)], limit=1)
        if not transaction:
            raise UserError(_("Unknown MobilePay transaction."))
        return transaction

    def _mobilepay_refunded_payment(self, reference, order_uuid, request):
        """The captured MobilePay payment a refund gives money back from (searched as the user)."""
        Transaction = self.env["pos.mobilepay.transaction"]
        domain = [("kind", "=", "payment"), ("payment_method_id", "=", self.id)]
        if isinstance(reference, str) and reference:
            candidates = Transaction.search(
                domain + ["|", ("reference", "=", reference), ("provider_payment_id", "=", reference)]
            )
        else:
            candidates = Transaction.search(domain + [("order_uuid", "=", order_uuid), ("state", "=", CAPTURED)])
        if not candidates:
            other = Transaction.search(
                [
                    ("kind", "=", "payment"),
                    "|",
                    ("reference", "=", reference or ""),
                    ("order_uuid", "=", order_uuid or ""),
                ],
                limit=1,
            )
            if other:
                raise UserError(
                    _(
                        "This order was paid with %(method)s: refund it with that payment method.",
                        method=other.payment_method_id.name,
                    )
                )
            raise UserError(_("No MobilePay payment of this order was found to refund."))
        captured = candidates.filtered(lambda t: t.state == CAPTURED)
        if not captured:
            raise UserError(_("The MobilePay payment of this order was not captured, so it cannot be refunded."))
        currency = request["currency"]
        amount = request["amount"]
        # Several MobilePay lines on the order: the first that can take the whole refund.
        for transaction in captured.sorted("id"):
            if currency.compare_amounts(transaction._mobilepay_refundable(), amount) >= 0:
                return transaction
        return max(captured, key=lambda t: t._mobilepay_refundable())

    # ------------------------------------------------------------------ starting

    def _mobilepay_start(self, request, kind):
        """Create the transaction (its key committed), call MobilePay, answer the POS."""
        self.ensure_one()
        config = request["config"]
        with self.env["pos.mobilepay.transaction"]._mobilepay_own_cursor() as env:
            method = self.with_env(env).sudo()
            Transaction = env["pos.mobilepay.transaction"].sudo()
            # One start at a time per line (a double click, two tabs): the second one waits for
            # the first one's row, then answers with it. Released at our first commit.
            env.cr.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"pos_mobilepay:{config.id}:{kind}:{request['line_uuid']}"],
            )
            existing = Transaction._mobilepay_for_line(config.id, kind, request["line_uuid"])
            if existing:
                return existing._mobilepay_resume_answer(request)
            provider = method._mobilepay_provider()
            original = request.get("original") and request["original"].with_env(env).sudo()
            flow, customer = method._mobilepay_flow_and_customer(provider, request, kind)
            if original:
                original._mobilepay_lock()
                original._mobilepay_check_refundable(request["amount"], request["currency"])
                registration = original.registration_id
            elif provider.payments_need_pos or flow is PaymentFlow.STICKER:
                registration = method._mobilepay_ready_registration(config.with_env(env), provider)
            else:
                registration = env["pos.mobilepay.registration"]
            reference = str(uuid.uuid4())
            values = {
                "reference": reference,
                "flow": flow.value,
                "kind": kind,
                "config_id": config.id,
                "session_id": request["session"].id,
                "company_id": config.company_id.id,
                "payment_method_id": method.id,
                "registration_id": registration.id,
                "line_uuid": request["line_uuid"],
                "order_uuid": request["order_uuid"],
                "order_name": request["order_name"],
                "till_name": config.name,
                "provider_order_id": request["line_uuid"],
                "currency_id": request["currency"].id,
                "amount": request["amount"],
                "idempotency_key": new_idempotency_key(),
                # A payment's create call is the poller's (at once); a refund's is sent below, and
                # should this worker die during the call, the poller takes over after the grace.
                "next_poll_at": utcnow() + (START_GRACE if kind == "refund" else timedelta()),
            }
            if original:
                values.update(refunded_transaction_id=original.id, provider_payment_id=original.provider_payment_id)
            elif provider.merchant_chooses_reference:
                values["provider_payment_id"] = reference  # ours, stored before the call like the key
            if customer:
                values["customer_input"] = customer
            if kind == "payment" and method.mobilepay_api == "epayment":
                # What the customer's app shows and who may pay: from the order as the server has it.
                minimum_age, receipt_lines = env["pos.order"]._mobilepay_order_data(
                    request["session"].with_env(env), request["order_uuid"], request["amount"], request["currency"]
                )
                values.update(minimum_user_age=minimum_age, receipt_lines=receipt_lines or False)
            if flow is PaymentFlow.STICKER and kind == "payment":
                token = registration._mobilepay_take_checkin(utcnow())
                if token:
                    values["customer_input"] = token
                else:
                    # Sent when the customer scans the register's sticker (the check-in webhook).
                    values.update(awaiting_checkin=True, next_poll_at=False)
            try:
                with env.cr.savepoint():
                    transaction = Transaction.create(values)
            except psycopg2.IntegrityError:
                # The same line was started at the same moment by another request: answer with that one.
                existing = Transaction._mobilepay_for_line(config.id, kind, request["line_uuid"])
                if existing:
                    return existing._mobilepay_resume_answer(request)
                raise
            transaction._mobilepay_log(
                _(
                    "Started from %(pos)s for %(amount)s %(currency)s (order %(order)s).",
                    pos=config.name,
                    amount=request["amount"],
                    currency=request["currency"].name,
                    order=request["order_name"] or request["order_uuid"],
                )
            )
            if kind == "payment":
                # The key is durable; the poller sends the create call (many at once, outside the HTTP
                # workers) and the POS hears the outcome on the bus. The QR is the PoS's: shown now.
                transaction._mobilepay_commit()
                transaction._mobilepay_trigger_poller()
                return transaction._mobilepay_start_answer()
            # The idempotency key is durable before the call; we hold the row while it is on its way.
            transaction._mobilepay_commit(keep_lock=True)
            transaction._mobilepay_send_refund(provider)
            return transaction._mobilepay_start_answer()
