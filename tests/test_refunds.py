import uuid
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..mobilepay.idempotency import new_idempotency_key
from .common import MobilePayCommon


@tagged("post_install", "-at_install")
class TestMobilePayRefunds(MobilePayCommon):
    def _paid(self, amount):
        order_uuid = str(uuid.uuid4())
        answer = self.start_payment(amount, order_uuid=order_uuid)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "captured")
        return transaction

    def _refund(self, amount, **origin):
        payload = self.pos_payload(amount, order_name="Refund 0001", **origin)
        return self.as_pos().mobilepay_start_refund(payload)

    def test_partial_and_several_refunds(self):
        payment = self._paid(100.0)

        first = self._refund(30.0, refunded_transaction_reference=payment.reference)
        self.assertEqual(first["kind"], "refund")
        self.assertEqual(first["state"], "pending")
        self.assertFalse(first["paid"])
        refund = self.transaction(first["reference"])
        self.assertEqual(refund.refunded_transaction_id, payment)
        self.assertTrue(refund.idempotency_key)
        self.drive(refund, "captured")
        self.assertEqual(self.emulator.refund_status(refund.provider_refund_id), "Captured")
        status = self.status(first["reference"])
        self.assertTrue(status["paid"])
        self.assertEqual(status["transaction_id"], refund.provider_refund_id)

        # By the original order, and by MobilePay's payment id (what a receipt shows).
        second = self._refund(50.0, refunded_order_uuid=payment.order_uuid)
        self.drive(self.transaction(second["reference"]), "captured")
        third = self._refund(20.0, refunded_transaction_reference=payment.provider_payment_id)
        self.drive(self.transaction(third["reference"]), "captured")
        payment.invalidate_recordset()
        self.assertEqual(payment.refunded_amount, 100.0)
        self.assertEqual(len(payment.refund_ids), 3)
        pushes = [p for p in self.pushes() if p["reference"] == first["reference"]]
        self.assertEqual(pushes[-1], {**pushes[-1], "kind": "refund", "state": "captured", "paid": True})

    def test_over_refund_is_refused_locally(self):
        payment = self._paid(40.0)
        self.drive(
            self.transaction(self._refund(30.0, refunded_transaction_reference=payment.reference)["reference"]),
            "captured",
        )
        with self.assertRaisesRegex(UserError, "At most 10.0"):
            self._refund(10.01, refunded_transaction_reference=payment.reference)
        # Nothing was asked of MobilePay for the refused refund.
        self.assertEqual(len(self.customer.find_refund_ids(payment.provider_payment_id)), 1)

    def test_mobilepay_refusals_get_clear_messages(self):
        payment = self._paid(50.0)
        # Someone refunded 45 at MobilePay without Odoo knowing: MobilePay refuses (1367).
        self.customer.create_refund(
            payment_id=payment.provider_payment_id,
            refund_order_id="elsewhere",
            amount=45,
            currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        payload = self.pos_payload(10.0, refunded_transaction_reference=payment.reference)
        try:
            self.as_pos().mobilepay_start_refund(payload)
        except UserError as error:
            self.assertIn("exceeds what is left to refund", str(error))
        else:
            self.fail("MobilePay's 1367 must reach the cashier")
        refund = self.env["pos.mobilepay.transaction"].search([("line_uuid", "=", payload["line_uuid"])])
        self.assertEqual(refund.state, "failed")
        # Too old (1366): 91 days after the capture.
        self.emulator.advance_clock(91 * 86400)
        with self.assertRaisesRegex(UserError, "too old"):
            self._refund(1.0, refunded_transaction_reference=payment.reference)

    def test_refund_needs_a_captured_payment_of_this_method(self):
        answer = self.start_payment(12.0)
        with self.assertRaisesRegex(UserError, "not captured"):
            self._refund(5.0, refunded_transaction_reference=answer["reference"])
        with self.assertRaisesRegex(UserError, "No MobilePay payment"):
            self._refund(5.0, refunded_order_uuid=str(uuid.uuid4()))
        with self.assertRaisesRegex(UserError, "Say which"):
            self._refund(5.0)

    def test_reconciliation_finds_the_refund_of_a_lost_start(self):
        """The refund call reached MobilePay but its answer was lost: found by refundOrderId, then paid out once."""
        payment = self._paid(60.0)
        key = new_idempotency_key()
        refund_order_id = str(uuid.uuid4())
        made = self.customer.create_refund(
            payment_id=payment.provider_payment_id,
            refund_order_id=refund_order_id,
            amount=25,
            currency_code="DKK",
            idempotency_key=key,
        )
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        lost = self.lost_transaction(
            refund_order_id,
            25.0,
            key=key,
            age=timedelta(minutes=30),
            kind="refund",
            registration_id=payment.registration_id.id,
            refunded_transaction_id=payment.id,
        )
        summary = Transaction._cron_mobilepay_reconcile()
        lost.invalidate_recordset()
        self.assertEqual(summary["found"], 1)
        self.assertEqual(lost.provider_refund_id, made)
        self.drive(lost, "captured")
        self.assertEqual(self.emulator.refund_status(made), "Captured")
        # Nothing else was made at MobilePay for it.
        self.assertEqual(self.customer.find_refund_ids(payment.provider_payment_id), [made])
