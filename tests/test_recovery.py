import time
import uuid
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from ..mobilepay.idempotency import new_idempotency_key
from ..models.pos_mobilepay_transaction import utcnow
from .common import MobilePayCommon


@tagged("post_install", "-at_install")
class TestMobilePayRecovery(MobilePayCommon):
    def _lose(self, transaction):
        """As if Odoo had lost track of the payment (crash right after the call)."""
        transaction.sudo().write({"state": "failed", "intent": "cancel"})

    def test_1301_resumes_the_same_lines_payment(self):
        first = self.start_payment(22.0)
        lost = self.transaction(first["reference"])
        payment_id = lost.provider_payment_id
        self._lose(lost)

        again = self.start_payment(22.0, line_uuid=lost.line_uuid)
        resumed = self.transaction(again["reference"])
        self.assertNotEqual(resumed, lost)
        self.assertEqual(resumed.provider_payment_id, payment_id)
        self.assertEqual(again["state"], "waiting_for_customer")
        self.assertIn("Resumed", " ".join(resumed.event_ids.mapped("message")))
        self.assertEqual(self.emulator.payment_status(payment_id), "Initiated")
        # ... and it completes normally.
        self.customer_pays(again["beacon_id"])
        self.drive(resumed, "captured")
        self.assertEqual(self.emulator.early_polls, 0)

    def test_1301_cancels_another_payment_and_retries_with_a_new_key(self):
        other = self.start_payment(5.0)
        other_tx = self.transaction(other["reference"])

        answer = self.start_payment(6.0)
        transaction = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "waiting_for_customer")
        self.assertNotEqual(transaction.provider_payment_id, other_tx.provider_payment_id)
        self.assertEqual(self.emulator.payment_status(other_tx.provider_payment_id), "CancelledByClient")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "Initiated")
        messages = " ".join(transaction.event_ids.mapped("message"))
        self.assertIn("blocked the PoS", messages)
        self.assertIn("new idempotency key", messages)
        # The older line learns that its payment is gone.
        self.assertEqual(other_tx.state, "cancelled_by_cashier")
        self.assertTrue(any(p["reference"] == other["reference"] and p["is_final"] for p in self.pushes()))
        self.assertEqual(self.emulator.early_polls, 0)

    def test_1301_with_a_payment_made_outside_odoo(self):
        self.customer.initiate_payment(
            pos_id=self.registration.pos_id,
            order_id="not-from-odoo",
            amount=3,
            currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        answer = self.start_payment(7.0)
        self.assertEqual(answer["state"], "waiting_for_customer")

    def test_reconciliation_settles_hanging_reservations(self):
        self.emulator.faults.add(method="POST", path="/pos/v10/payments/*/capture", status=503, times=None)
        to_capture = self.transaction(self.start_payment(8.0)["reference"])
        self.customer_pays(self.registration.beacon_id)
        self.drive(to_capture, "reserved")

        to_cancel = self.transaction(self.start_payment(9.0)["reference"])
        self.customer_pays(self.registration.beacon_id)
        self.drive(to_cancel, "reserved")
        to_cancel.sudo().write({"intent": "cancel"})

        self.emulator.faults.clear()
        # The back-off after the failed captures is over.
        (to_capture | to_cancel).sudo().write({"next_poll_at": utcnow() - timedelta(seconds=1)})
        summary = self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        (to_capture | to_cancel).invalidate_recordset()
        self.assertEqual(to_capture.state, "captured")
        self.assertEqual(to_cancel.state, "cancelled_by_cashier")
        self.assertEqual(self.emulator.payment_status(to_capture.provider_payment_id), "Captured")
        self.assertEqual(self.emulator.payment_status(to_cancel.provider_payment_id), "CancelledByClient")
        self.assertEqual(summary["settled"], 2)

    def test_reconciliation_cancels_abandoned_payments(self):
        transaction = self.transaction(self.start_payment(14.0)["reference"])
        transaction._mobilepay_process()
        transaction.sudo().write({"state_changed_at": utcnow() - timedelta(hours=2)})
        summary = self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        transaction.invalidate_recordset()
        self.assertEqual(summary["abandoned"], 1)
        self.assertEqual(transaction.intent, "cancel")
        self.assertEqual(transaction.state, "cancelled_by_cashier")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "CancelledByClient")
        self.assertIn("abandoned", " ".join(transaction.event_ids.mapped("message")))

    def test_reconciliation_finds_a_lost_start_by_its_order_id(self):
        """The worker died between MobilePay's answer and our commit: the payment is found by orderId and followed."""
        line_uuid = str(uuid.uuid4())
        payment_id = self.customer.initiate_payment(
            pos_id=self.registration.pos_id,
            order_id=line_uuid,
            amount=19,
            currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        lost = self.lost_transaction(line_uuid, 19.0, age=timedelta(minutes=30))
        summary = self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        lost.invalidate_recordset()
        self.assertEqual(summary["found"], 1)
        self.assertEqual(lost.provider_payment_id, payment_id)
        self.assertEqual(lost.state, "waiting_for_customer")
        self.customer_pays(self.registration.beacon_id)
        self.drive(lost, "captured")
        self.assertEqual(self.emulator.payment_status(payment_id), "Captured")

    def test_offboarding_waits_for_settled_payments(self):
        method = self._new_mobilepay_method("MobilePay 2", self.company_data)
        config = self._new_config("Second Shop", method)
        self.env["pos.mobilepay.registration"]._mobilepay_sync_config(config)
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", config.id)])
        self.assertEqual(registration.state, "registered")
        pos_id = registration.pos_id
        # A payment runs on that register (its session was closed meanwhile).
        payment_id = self.customer.initiate_payment(
            pos_id=pos_id, order_id="line-1", amount=5, currency_code="DKK", idempotency_key=new_idempotency_key()
        )
        self.env["pos.mobilepay.transaction"].sudo().create(
            {
                "config_id": config.id,
                "company_id": self.company.id,
                "payment_method_id": method.id,
                "registration_id": registration.id,
                "line_uuid": "line-1",
                "provider_order_id": "line-1",
                "provider_payment_id": payment_id,
                "state": "waiting_for_customer",
                "currency_id": self.dkk.id,
                "amount": 5.0,
            }
        )
        config.write({"payment_method_ids": [Command.unlink(method.id)]})
        registration.invalidate_recordset()
        self.assertEqual(registration.state, "to_delete")
        self.assertEqual(self.customer.find_pos_ids(merchant_pos_id=registration.merchant_pos_id), [pos_id])

        self.emulator.cancel_by_mobilepay(payment_id)
        time.sleep(0.06)
        self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        registration.invalidate_recordset()
        self.assertEqual(registration.state, "deleted")
        self.assertFalse(registration.active)
        self.assertEqual(self.customer.find_pos_ids(merchant_pos_id=registration.merchant_pos_id), [])
