"""Money safety under faults: each test is one finding of the issue "Money safety under faults".

A create call whose answer is lost is never "failed" (findings 1, 2), one unreadable answer
never stops settlement (3), the PoS create key is rotated and deletions wait for the commit
(4), the server checks every MobilePay payment line (5), cancel and status stay within the
caller's register (6), reconciliation re-checks what it cancels and keeps to a time budget
(7), the poller never holds its thread for a row that cannot progress and history has a
retention (8), a copied database gets its own PoS (10), and absurd amounts get a clear
error (11). The size limit of the notification route (9) is tested in test_notification.
"""

import uuid
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..mobilepay.idempotency import new_idempotency_key
from ..models.pos_mobilepay_transaction import utcnow
from .common import MobilePayCommon

PAYMENTS = "/pos/v10/payments"
REFUNDS = "/pos/v10/refunds"


@tagged("post_install", "-at_install")
class TestMobilePayMoneySafety(MobilePayCommon):
    # ------------------------------------------------------------------ helpers

    def make_due(self, transaction):
        """Skip the back-off: the next step may act now."""
        transaction.sudo().write({"next_poll_at": utcnow() - timedelta(seconds=1)})

    def refund(self, payment, amount, **kwargs):
        payload = self.pos_payload(amount, order_name="Refund 0001", **kwargs)
        payload["refunded_transaction_reference"] = payment.reference
        return self.as_pos().mobilepay_start_refund(payload)

    def at_mobilepay(self, what):
        return self.emulator.dump_state()[what]

    def ui_order(self, payments, amount=None, config=None, session=None, state="paid"):
        """An order as the POS sends it to sync_from_ui: one product line, the given payment lines."""
        session = session or self.session
        total = amount if amount is not None else sum(p[1] for p in payments)
        product = self.env["product.product"].search([("name", "=", "MobilePay Safety Item")], limit=1)
        if not product:
            product = self.env["product.product"].create(
                {"name": "MobilePay Safety Item", "available_in_pos": True, "list_price": 1.0, "taxes_id": False}
            )
        order_uuid = str(uuid.uuid4())
        return {
            "uuid": order_uuid,
            "name": f"Order {order_uuid[:8]}",
            "session_id": session.id,
            "state": state,
            "user_id": self.env.uid,
            "pricelist_id": (config or self.config).pricelist_id.id,
            "sequence_number": 1,
            "date_order": str(utcnow().replace(microsecond=0)),
            "amount_paid": sum(p[1] for p in payments),
            "amount_return": 0,
            "amount_tax": 0,
            "amount_total": total,
            "last_order_preparation_change": "{}",
            "lines": [
                Command.create(
                    {
                        "product_id": product.id,
                        "qty": 1,
                        "price_unit": total,
                        "price_subtotal": total,
                        "price_subtotal_incl": total,
                        "tax_ids": [],
                        "pack_lot_ids": [],
                    }
                )
            ],
            "payment_ids": [
                Command.create({"payment_method_id": method.id, "amount": paid, "uuid": line_uuid, "name": "x"})
                for method, paid, line_uuid in payments
            ],
        }

    # ------------------------------------------------------------------ 1. a refund whose answer is lost

    def test_1_a_refund_whose_answer_is_lost_is_followed_not_failed(self):
        payment = self.paid_transaction(100.0)
        self.emulator.faults.add(method="POST", path=REFUNDS, kind="drop_after", times=None)
        line_uuid = str(uuid.uuid4())
        answer = self.refund(payment, 40.0, line_uuid=line_uuid)
        self.assertEqual(answer["state"], "unknown")
        self.assertFalse(answer["is_final"])
        self.assertIn("not answered", answer["reason"])
        refund = self.transaction(answer["reference"])
        self.assertEqual(len(self.at_mobilepay("refunds")), 1, "MobilePay made the refund")
        # It still counts against what can be refunded, and the line cannot start a second one.
        with self.assertRaisesRegex(UserError, "At most 60"):
            self.refund(payment, 70.0)
        self.assertEqual(self.refund(payment, 40.0, line_uuid=line_uuid)["reference"], answer["reference"])
        # MobilePay answers again: the stored key brings the same refund back, which is paid out once.
        self.emulator.faults.clear()
        self.make_due(refund)
        self.drive(refund, "captured")
        refunds = self.at_mobilepay("refunds")
        self.assertEqual([(r["refundId"], r["status"]) for r in refunds], [(refund.provider_refund_id, "Captured")])
        self.assertTrue(self.status(answer["reference"])["paid"])

    # ------------------------------------------------------------------ 2. a payment whose answer is lost

    def test_2_a_payment_whose_answer_is_lost_is_followed_then_captured(self):
        self.emulator.faults.add(method="POST", path=PAYMENTS, kind="drop_after", times=None)
        answer = self.start_payment(21.0)
        self.assertEqual(answer["state"], "unknown")
        self.assertTrue(answer["beacon_id"], "the QR is shown: MobilePay may have the payment")
        transaction = self.transaction(answer["reference"])
        self.assertFalse(transaction.provider_payment_id)
        # The customer approves the payment MobilePay made.
        self.customer_pays(answer["beacon_id"])
        self.emulator.faults.clear()
        self.make_due(transaction)
        self.drive(transaction, "captured")
        payments = self.at_mobilepay("payments")
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments[0]["paymentId"], transaction.provider_payment_id)
        self.assertEqual(payments[0]["status"], "Captured")

    def test_2_a_lost_payment_the_cashier_cancels_is_cancelled_at_mobilepay(self):
        self.emulator.faults.add(method="POST", path=PAYMENTS, kind="drop_after", times=None)
        answer = self.start_payment(22.0)
        transaction = self.transaction(answer["reference"])
        self.emulator.faults.clear()
        status = self.cancel(answer["reference"])
        self.assertEqual(status["state"], "cancelled_by_cashier")
        self.assertEqual([p["status"] for p in self.at_mobilepay("payments")], ["CancelledByClient"])
        self.assertEqual(transaction.intent, "cancel")

    def test_2_a_start_whose_worker_died_is_re_sent_with_its_stored_key(self):
        """The row is 'new' (the worker died during the call) and MobilePay made the payment with its key."""
        line_uuid = str(uuid.uuid4())
        key = new_idempotency_key()
        payment_id = self.customer.initiate_payment(
            pos_id=self.registration.pos_id, order_id=line_uuid, amount=23, currency_code="DKK", idempotency_key=key
        )
        transaction = self.lost_transaction(line_uuid, 23.0, key=key, next_poll_at=utcnow() - timedelta(seconds=1))
        self.env["pos.mobilepay.transaction"]._cron_mobilepay_poll()
        transaction.invalidate_recordset()
        self.assertEqual(transaction.provider_payment_id, payment_id)
        self.assertEqual(transaction.state, "waiting_for_customer")
        self.assertEqual(len(self.at_mobilepay("payments")), 1)

    def test_2_only_a_definite_refusal_fails_a_start(self):
        self.emulator.faults.add(method="POST", path=PAYMENTS, kind="status", status=400, times=1)
        answer = self.start_payment(24.0)
        failed = self.transaction(answer["reference"])
        self.assertEqual(failed.state, "failed")
        self.assertIn("MobilePay did not start the payment", answer["reason"])
        self.assertEqual(self.pushes()[-1]["state"], "failed", "the POS hears it")
        self.assertFalse(self.at_mobilepay("payments"))

    # ------------------------------------------------------------------ 3. any answer

    def test_3_unreadable_answers_never_stop_the_poller_or_the_reconciliation(self):
        broken = self.transaction(self.start_payment(31.0)["reference"])
        healthy_answer = self.start_payment(32.0, session=self._second_session())
        healthy = self.transaction(healthy_answer["reference"])
        self.customer_pays(healthy_answer["beacon_id"])
        Transaction = self.env["pos.mobilepay.transaction"]
        bodies = [
            '{"paymentId": "%s", "posId": "p", "orderId": "o", "status": "Teleported", "pollDelayInMs": 100}',
            '{"paymentId": "%s", "posId": "p", "orderId": "o", "status": "Reserved"}',
            "",
            "[]",
        ]
        for body in bodies:
            self.emulator.faults.add(
                method="GET",
                path=f"{PAYMENTS}/{broken.provider_payment_id}",
                kind="body",
                body=body.replace("%s", broken.provider_payment_id),
                times=None,
            )
            (broken | healthy).sudo().write({"next_poll_at": utcnow() - timedelta(seconds=1)})
            Transaction._cron_mobilepay_poll()
            Transaction._cron_mobilepay_reconcile()
            self.emulator.faults.clear()
            broken.invalidate_recordset()
            self.assertEqual(broken.state, "waiting_for_customer")
            self.assertIn("MobilePay answered HTTP 200: the answer could not be understood", broken.last_error or "")
            self.assertGreater(broken.next_poll_at, utcnow(), "backed off: not picked first next time")
        healthy.invalidate_recordset()
        self.assertEqual(healthy.state, "captured", "the other transaction was settled meanwhile")

    # ------------------------------------------------------------------ 4. the PoS create key

    def test_2_a_database_error_after_mobilepay_accepted_the_create_leaves_a_payment_that_is_resumed(self):
        """The start only stores the payment; should the poller's cursor fail once MobilePay made it
        (a full pool, a lost connection), the row is still there with its key, and the re-send gets
        the same payment back."""
        answer = self.start_payment(26.0, send=False)
        transaction = self.transaction(answer["reference"])
        Transaction = type(transaction)
        created = Transaction._mobilepay_created
        failures = []

        def created_then_lost(record, *args, **kwargs):
            if not failures:
                failures.append(record.id)
                raise psycopg2.OperationalError("connection pool is full")
            return created(record, *args, **kwargs)

        with patch.object(Transaction, "_mobilepay_created", created_then_lost), self.assertLogs(
            "odoo.addons.pos_mobilepay.models.pos_mobilepay_transaction_start", level="ERROR"
        ):
            transaction._mobilepay_advance()
        transaction.invalidate_recordset()
        self.assertEqual(failures, [transaction.id])
        self.assertIn(transaction.state, ("new", "unknown"), "kept, never failed")
        self.assertFalse(transaction.is_final)
        self.assertEqual(len(self.at_mobilepay("payments")), 1, "MobilePay made it")
        transaction.write({"next_poll_at": utcnow()})  # its back-off is over
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "captured")
        self.assertEqual(len(self.at_mobilepay("payments")), 1, "resumed with the same key, not made twice")
        self.assertEqual(transaction.provider_payment_id, self.at_mobilepay("payments")[0]["paymentId"])

    def test_4_a_pos_deleted_at_mobilepay_is_registered_again_with_a_new_key(self):
        old_pos_id = self.registration.pos_id
        self.customer.delete_pos(old_pos_id)
        self.registration.write({"state": "draft"})
        self.registration._mobilepay_sync()
        self.assertNotEqual(self.registration.pos_id, old_pos_id, "not the deleted PoS replayed")
        answer = self.start_payment(41.0)
        self.assertEqual(answer["state"], "waiting_for_customer")

    def test_4_deleting_a_pos_waits_for_the_commit_and_for_running_payments(self):
        method = self._new_mobilepay_method("MobilePay Offboard", self.company_data)
        config = self._new_config("Offboard Shop", method)
        session = self._open_session(config)
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", config.id)])
        pos_id = registration.pos_id
        running = self.start_payment(42.0, method=method, session=session)
        # A config or method with MobilePay payments cannot be deleted: the PoS stays.
        with self.assertRaises(UserError), self.env.cr.savepoint():
            method.unlink()
        self.assertFalse(self.emulator.state.points_of_sale[pos_id].deleted)
        # Taking the method off the register (its session closed): nothing is deleted before
        # the commit, and the commit deletes nothing while the payment runs.
        session.sudo().write({"state": "closed"})
        config.write({"payment_method_ids": [Command.set([])]})
        self.assertEqual(registration.state, "to_delete")
        self.assertFalse(self.emulator.state.points_of_sale[pos_id].deleted)
        self.env.cr.postcommit.run()
        self.assertFalse(self.emulator.state.points_of_sale[pos_id].deleted)
        self.transaction(running["reference"]).with_user(self.pos_manager).action_mobilepay_cancel()
        self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        registration.invalidate_recordset()
        self.assertEqual(registration.state, "deleted")
        self.assertTrue(self.emulator.state.points_of_sale[pos_id].deleted)

    # ------------------------------------------------------------------ 5. server-side verification

    def test_5_an_order_cannot_book_mobilepay_money_that_was_not_captured(self):
        Order = self.env["pos.order"].with_user(self.pos_user).with_context(allowed_company_ids=self.company.ids)
        # No MobilePay transaction at all (a tampered POS).
        with self.assertRaisesRegex(UserError, "has not captured a payment"), self.env.cr.savepoint():
            Order.sync_from_ui([self.ui_order([(self.mobilepay, 50.0, str(uuid.uuid4()))])])
        # A payment still waiting for the customer.
        waiting = self.transaction(self.start_payment(50.0)["reference"])
        with self.assertRaisesRegex(UserError, "has not captured"), self.env.cr.savepoint():
            Order.sync_from_ui([self.ui_order([(self.mobilepay, 50.0, waiting.line_uuid)])])
        self.cancel(waiting.reference)
        captured = self.paid_transaction(50.0)
        # Another amount than MobilePay captured.
        with self.assertRaisesRegex(UserError, "captured 50"), self.env.cr.savepoint():
            Order.sync_from_ui([self.ui_order([(self.mobilepay, 60.0, captured.line_uuid)])])
        self.assertFalse(self.env["pos.order"].search([("session_id", "=", self.session.id)]))
        # The real one is booked, once.
        Order.sync_from_ui([self.ui_order([(self.mobilepay, 50.0, captured.line_uuid)])])
        booked = self.env["pos.payment"].search([("uuid", "=", captured.line_uuid)])
        self.assertEqual(booked.pos_order_id.state, "paid")
        self.assertEqual(captured.pos_payment_id, booked)
        with self.assertRaisesRegex(UserError, "already booked"), self.env.cr.savepoint():
            Order.sync_from_ui([self.ui_order([(self.mobilepay, 50.0, captured.line_uuid)])])
        # A finalized order's MobilePay payment cannot be deleted.
        with self.assertRaisesRegex(UserError, "cannot be deleted"), self.env.cr.savepoint():
            booked.unlink()

    def test_5_a_refund_line_must_match_a_captured_refund(self):
        payment = self.paid_transaction(80.0)
        Order = self.env["pos.order"].with_user(self.pos_user).with_context(allowed_company_ids=self.company.ids)
        Order.sync_from_ui([self.ui_order([(self.mobilepay, 80.0, payment.line_uuid)])])
        # A refund line without a refund, or with the payment's line: refused.
        for line_uuid in (str(uuid.uuid4()), payment.line_uuid):
            with self.assertRaisesRegex(UserError, "has not captured a refund"), self.env.cr.savepoint():
                Order.sync_from_ui([self.ui_order([(self.mobilepay, -30.0, line_uuid)])])
        line_uuid = str(uuid.uuid4())
        refund = self.transaction(self.refund(payment, 30.0, line_uuid=line_uuid)["reference"])
        self.drive(refund, "captured")
        Order.sync_from_ui([self.ui_order([(self.mobilepay, -30.0, line_uuid)])])
        self.assertEqual(refund.pos_payment_id.amount, -30.0)

    def test_5_a_draft_order_is_checked_when_it_is_finalized(self):
        Order = self.env["pos.order"].with_user(self.pos_user).with_context(allowed_company_ids=self.company.ids)
        data = self.ui_order([(self.mobilepay, 15.0, str(uuid.uuid4()))], state="draft")
        Order.sync_from_ui([data])  # a draft may carry a line whose payment is still running
        order = self.env["pos.order"].search([("uuid", "=", data["uuid"])])
        self.assertEqual(order.state, "draft")
        with self.assertRaisesRegex(UserError, "has not captured"), self.env.cr.savepoint():
            order.action_pos_order_paid()
        self.assertEqual(order.state, "draft")

    # ------------------------------------------------------------------ 6. the caller's register

    def test_6_cancel_and_status_act_only_on_the_sessions_register(self):
        answer = self.start_payment(61.0)
        other_session = self._second_session()
        for call in (self.cancel, self.status):
            with self.assertRaisesRegex(UserError, "Unknown MobilePay transaction"):
                call(answer["reference"], session=other_session)
        self.assertEqual(self.transaction(answer["reference"]).intent, "capture")
        other_session.config_id.current_session_id.sudo().write({"state": "closed"})
        with self.assertRaisesRegex(UserError, "not open"):
            self.cancel(answer["reference"], session=other_session)
        with self.assertRaisesRegex(UserError, "Unknown Point of Sale session"):
            self.as_pos().mobilepay_cancel_payment({"reference": answer["reference"]})
        self.assertEqual(self.cancel(answer["reference"])["state"], "cancelled_by_cashier")

    def test_6_a_pos_that_lost_the_start_answer_cancels_by_line(self):
        self.emulator.faults.add(method="POST", path=PAYMENTS, kind="drop_after", times=None)
        answer = self.start_payment(62.0)
        self.emulator.faults.clear()
        status = self.cancel(line_uuid=answer["line_uuid"])
        self.assertEqual(status["reference"], answer["reference"])
        self.assertEqual(status["state"], "cancelled_by_cashier")
        self.assertFalse(self.cancel(line_uuid=str(uuid.uuid4())), "nothing runs for that line")

    # ------------------------------------------------------------------ 7. reconciliation

    def test_7_abandoning_rechecks_the_row_under_its_lock(self):
        self.emulator.faults.add(method="POST", path=f"{PAYMENTS}/*/capture", status=503, times=None)
        answer = self.start_payment(71.0)
        transaction = self.transaction(answer["reference"])
        transaction.sudo().write({"state_changed_at": utcnow() - timedelta(hours=2)})
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        snapshot = Transaction.search(Transaction._mobilepay_abandoned_domain(30))
        self.assertIn(transaction, snapshot)
        # Meanwhile the customer approves: the row is no longer abandoned.
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "reserved")
        for row in snapshot:
            row._mobilepay_own_step(lambda t: t._mobilepay_abandon(30, {}))
        transaction.invalidate_recordset()
        self.assertEqual(transaction.intent, "capture")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "Reserved")

    def test_7_reconciliation_keeps_to_its_time_budget(self):
        self.start_payment(72.0)
        summary = self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile(time_budget=0)
        self.assertTrue(summary["unfinished"])
        self.assertEqual(summary["settled"], 0)
        cron = self.env.ref("pos_mobilepay.ir_cron_mobilepay_reconcile")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))

    # ------------------------------------------------------------------ 8. the poller's thread, retention

    def test_8_a_row_that_cannot_progress_backs_off(self):
        broken = self._new_mobilepay_method("MobilePay Broken", self.company_data)
        config = self._new_config("Broken Shop", broken)
        session = self._open_session(config)
        answer = self.start_payment(81.0, method=broken, session=session)
        transaction = self.transaction(answer["reference"])
        # The method's provider cannot be built any more (production without credentials).
        self.env.cr.execute(
            "UPDATE pos_payment_method SET mobilepay_environment = 'production' WHERE id = %s", [broken.id]
        )
        broken.invalidate_recordset()
        self.make_due(transaction)
        self.env["pos.mobilepay.transaction"]._cron_mobilepay_poll()
        transaction.invalidate_recordset()
        self.assertIn("Connecting failed", transaction.last_error)
        now = utcnow()
        self.assertFalse(transaction._mobilepay_needs_step(now))
        self.assertGreater(transaction._mobilepay_due_at(now), now, "not due: the poller can stop and come back")

    def test_8_old_history_of_finished_transactions_is_removed(self):
        done = self.paid_transaction(82.0)
        running = self.transaction(self.start_payment(83.0)["reference"])
        Event = self.env["pos.mobilepay.transaction.event"].sudo()
        events = (done | running).event_ids
        done_events = len(done.event_ids)
        self.env.cr.execute(
            "UPDATE pos_mobilepay_transaction_event SET date = %s WHERE id IN %s",
            (utcnow() - timedelta(days=200), tuple(events.ids)),
        )
        events.invalidate_recordset()
        self.env["ir.config_parameter"].sudo().set_param("pos_mobilepay.event_retention_days", "0")
        self.assertEqual(Event._cron_mobilepay_gc_events(), 0, "0 keeps everything")
        self.env["ir.config_parameter"].sudo().set_param("pos_mobilepay.event_retention_days", "180")
        self.assertEqual(Event._cron_mobilepay_gc_events(), done_events)
        self.assertFalse(done.exists().event_ids, "the finished transaction's old history is gone")
        self.assertTrue(done.exists(), "the transaction itself stays")
        self.assertTrue(running.event_ids, "a running transaction keeps its history")

    # ------------------------------------------------------------------ 10. a copied database

    def test_10_a_copied_database_registers_its_own_pos(self):
        production_payment = self.start_payment(101.0)
        production_pos_id = self.registration.pos_id
        production_merchant_pos_id = self.registration.merchant_pos_id
        # As in a duplicate: the database gets a new uuid, the rows stay as they were.
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))
        copy_payment = self.start_payment(102.0)
        self.registration.invalidate_recordset()
        self.assertNotEqual(self.registration.merchant_pos_id, production_merchant_pos_id)
        self.assertNotEqual(self.registration.pos_id, production_pos_id)
        production = self.transaction(production_payment["reference"])
        self.assertEqual(self.emulator.payment_status(production.provider_payment_id), "Initiated")
        self.assertEqual(copy_payment["state"], "waiting_for_customer")

    # ------------------------------------------------------------------ 11. amounts

    def test_11_absurd_amounts_get_a_clear_error(self):
        for amount in (1e30, 1e12, float("inf"), float("nan"), 10**400, -5.0, 0):
            with self.assertRaises(UserError, msg=repr(amount)):
                self.start_payment(amount)
        self.assertFalse(self.env["pos.mobilepay.transaction"].search([]))

    # ------------------------------------------------------------------ set-up

    def _second_session(self):
        """A second register of the same company with the same MobilePay method."""
        config = self._new_config(f"Second Shop {uuid.uuid4().hex[:6]}", self.mobilepay)
        return self._open_session(config)
