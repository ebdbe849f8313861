"""ePayment in Odoo: each in-store flow from the POS's start to the captured money, cancel, refund, recovery."""

import uuid

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .epayment_common import EPaymentCommon


@tagged("post_install", "-at_install")
class TestEPaymentFlows(EPaymentCommon):
    def test_one_time_qr_on_screen(self):
        answer = self.start_payment(125.5)
        self.assertEqual(answer["flow"], "qr_on_screen")
        self.assertFalse(answer["qr_payload"], "no register QR: ePayment makes a QR per payment")
        transaction = self.transaction(answer["reference"])
        self.assertFalse(transaction.registration_id, "the QR flow registers nothing")
        self.assertEqual(transaction.provider_payment_id, transaction.reference, "our reference, stored first")
        self.assertEqual(answer["state"], "waiting_for_customer")
        self.assertTrue(answer["qr_url"].startswith(self.vipps.base_url), answer["qr_url"])
        at_vipps = self.vipps_payment(transaction)
        self.assertEqual(at_vipps["state"], "CREATED")
        self.assertEqual(at_vipps["amount"]["value"], 12550)
        self.assertEqual(at_vipps["customerInteraction"], "CUSTOMER_PRESENT")
        self.assertFalse(self.status(answer["reference"])["paid"])
        self.vipps.approve(transaction.provider_payment_id)
        self.drive(transaction, "captured")
        self.assertEqual(transaction.captured_amount, 125.5)
        self.assertEqual(self.vipps_payment(transaction)["aggregate"]["capturedAmount"]["value"], 12550)
        status = self.status(answer["reference"])
        self.assertTrue(status["paid"] and status["is_final"])
        self.assertEqual(self.pushes()[-1]["state"], "captured")

    def test_phone_number_typed_by_the_cashier(self):
        phone = self.vipps.demo.phone_numbers[0]
        typed = f"+{phone[:2]} {phone[2:4]} {phone[4:6]} {phone[6:8]} {phone[8:]}"
        answer = self.start_payment(40.0, flow="phone_number", customer=typed)
        transaction = self.transaction(answer["reference"])
        self.assertEqual((answer["flow"], answer["state"]), ("phone_number", "waiting_for_approval"))
        self.assertEqual(self.vipps_payment(transaction)["customer"], phone)
        self.assertFalse(answer["qr_url"])
        self.vipps.approve(transaction.provider_payment_id)
        self.drive(transaction, "captured")

    def test_a_wrong_phone_number_is_refused_before_anything_is_stored(self):
        before = self.env["pos.mobilepay.transaction"].search_count([])
        # The wrong length for the number's country (+45: 8 digits) is refused here, not by Vipps MobilePay.
        for typed in ("", "12", "+45 12 ab", None, "+45 123 456 789", "+47 1234 5678 9", "+358 40 123 456 789"):
            with self.assertRaises(UserError):
                self.start_payment(10.0, flow="phone_number", customer=typed)
        self.assertEqual(self.env["pos.mobilepay.transaction"].search_count([]), before)
        with self.assertRaises(UserError) as caught:
            self.start_payment(10.0, flow="phone_number", customer="+45 123 456 789")
        self.assertIn("+45 has 8 digits after the country code", str(caught.exception), "the rule, in words")

    def test_an_unknown_customer_fails_with_the_reason_and_the_line_can_be_retried(self):
        line = str(uuid.uuid4())
        answer = self.start_payment(10.0, flow="phone_number", customer="+45 99 99 99 99", line_uuid=line)
        self.assertEqual(answer["state"], "failed")
        self.assertIn("cannot pay", answer["reason"])
        phone = self.vipps.demo.phone_numbers[1]
        again = self.start_payment(10.0, flow="phone_number", customer="+" + phone, line_uuid=line)
        self.assertNotEqual(again["reference"], answer["reference"])
        self.assertEqual(again["state"], "waiting_for_approval")

    def test_personal_qr_scanned_by_the_cashier(self):
        phone = self.vipps.demo.phone_numbers[0]
        answer = self.start_payment(9.0, flow="personal_qr", customer=self.vipps.demo.personal_qrs[phone])
        transaction = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "waiting_for_approval")
        self.vipps.reject(transaction.provider_payment_id)
        self.drive(transaction, "cancelled_by_customer")
        self.assertIn("declined", self.status(answer["reference"])["reason"])
        with self.assertRaises(UserError):
            self.start_payment(9.0, flow="personal_qr", customer="x")

    def test_cashier_cancels_before_the_customer_approves(self):
        answer = self.start_payment(30.0)
        transaction = self.transaction(answer["reference"])
        status = self.cancel(answer["reference"])
        self.assertEqual(status["state"], "cancelled_by_cashier")
        self.assertEqual(self.vipps_payment(transaction)["state"], "TERMINATED")

    def test_cashier_cancels_after_the_customer_approved_releases_the_money(self):
        answer = self.start_payment(31.0)
        transaction = self.transaction(answer["reference"])
        transaction.write({"next_poll_at": "2999-01-01"})  # the poller has not seen the approval yet
        self.vipps.approve(transaction.provider_payment_id)
        self.assertEqual(self.cancel(answer["reference"])["state"], "cancelled_by_cashier")
        aggregate = self.vipps_payment(transaction)["aggregate"]
        self.assertEqual((aggregate["capturedAmount"]["value"], aggregate["cancelledAmount"]["value"]), (0, 3100))

    def test_refunds_are_final_at_once_and_capped(self):
        paid = self.transaction(self.start_payment(50.0)["reference"])
        self.vipps.approve(paid.provider_payment_id)
        self.drive(paid, "captured")
        payload = self.pos_payload(20.0, refunded_transaction_reference=paid.reference)
        answer = self.as_pos().mobilepay_start_refund(payload)
        refund = self.transaction(answer["reference"])
        self.assertEqual(refund.provider_refund_id, refund.idempotency_key, "an ePayment refund is its key")
        self.drive(refund, "captured")
        self.assertEqual(self.vipps_payment(paid)["aggregate"]["refundedAmount"]["value"], 2000)
        def refund(amount):
            return self.as_pos().mobilepay_start_refund(
                self.pos_payload(amount, refunded_transaction_reference=paid.reference)
            )

        with self.assertRaises(UserError):
            refund(30.01)  # more than is left: refused before any call
        last = refund(30.0)
        self.drive(self.transaction(last["reference"]), "captured")
        self.assertEqual(self.vipps_payment(paid)["aggregate"]["refundedAmount"]["value"], 5000)

    def test_a_lost_create_answer_is_re_sent_with_the_same_key(self):
        # Made at Vipps MobilePay each time, the answer lost each time (the client's two retries too).
        self.vipps.faults.add(method="POST", path="/epayment/v1/payments", kind="drop_after", times=3)
        answer = self.start_payment(12.0)
        transaction = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "unknown")
        self.assertFalse(answer["paid"])
        transaction.write({"next_poll_at": False})
        self.drive(transaction, "waiting_for_customer")
        events = self.vipps_payment(transaction)["events"]
        self.assertEqual([e["name"] for e in events], ["CREATED"], "one payment, not two")
        self.vipps.approve(transaction.provider_payment_id)
        self.drive(transaction, "captured")

    def test_vipps_down_is_never_reported_as_a_failure(self):
        self.vipps.faults.add(method="POST", path="/epayment/v1/payments", kind="status", status=503, times=None)
        answer = self.start_payment(12.0)
        self.assertEqual(answer["state"], "unknown")
        self.assertNotEqual(answer["state"], "failed")
        self.vipps.faults.clear()
        transaction = self.transaction(answer["reference"])
        transaction.write({"next_poll_at": False})
        self.drive(transaction, "waiting_for_customer")

    def test_a_v10_method_still_works_next_to_it(self):
        v10 = self._new_mobilepay_method("MobilePay v10", self.company_data, mobilepay_api="v10")
        config = self._new_config("v10 Shop", v10)
        session = self._open_session(config)
        answer = self.start_payment(11.0, method=v10, session=session)
        self.assertTrue(answer["qr_payload"].startswith("mobilepaypos://"))
        self.assertFalse(answer["qr_url"])

    def test_the_order_lines_and_the_age_limit_reach_the_customers_app(self):
        """Both come from the order as the server has it (the POS saves it before the payment starts);
        what the POS says of them is not heard."""
        tax = self.env["account.tax"].create({"name": "Moms 25 %", "amount": 25.0, "amount_type": "percent"})
        coffee, wine = self.new_product("Coffee"), self.new_product("Wine", age=18)
        order = self.draft_order([(coffee, 2, 50.0, 10.0, tax), (wine, 1, 75.5, 15.1, tax)])
        lied = [{"name": "Water", "line_id": "1", "quantity": 1, "unit_price": 125.5, "total": 125.5, "tax": 0}]
        answer = self.start_payment(125.5, order_uuid=order.uuid, receipt_lines=lied, minimum_user_age=0)
        sent = self.vipps_payment(self.transaction(answer["reference"]))
        self.assertEqual(sent["minimumUserAge"], 18, "the wine's age limit, whatever the POS said")
        receipt = sent["receipt"]
        self.assertEqual([line["name"] for line in receipt["orderLines"]], ["Coffee", "Wine"])
        self.assertEqual(receipt["orderLines"][1]["totalAmount"], 7550)
        self.assertEqual(receipt["orderLines"][1]["totalTaxAmount"], 1510)
        self.assertEqual(receipt["orderLines"][1]["taxPercentage"], 25)
        self.assertEqual(receipt["bottomLine"]["currency"], "DKK")
        # A split tender (this line pays part of the order): no receipt, the app shows the amount only.
        part = self.start_payment(50.0, order_uuid=order.uuid)
        self.assertFalse(self.vipps_payment(self.transaction(part["reference"]))["receipt"])
        # An age limit set on a POS category counts too.
        snacks = self.env["pos.category"].create({"name": "Energy drinks", "vipps_minimum_age": 16})
        drink = self.new_product("Energy drink", pos_categ_ids=[Command.set(snacks.ids)])
        drinks = self.draft_order([(drink, 1, 20.0, 0.0, None)])
        answer = self.start_payment(20.0, order_uuid=drinks.uuid)
        self.assertEqual(self.vipps_payment(self.transaction(answer["reference"]))["minimumUserAge"], 16)
        # Under age: refused with the generic reason, no money moves.
        young = next(c for c in self.vipps.demo.customers if c.age < 18)
        refused = self.start_payment(125.5, flow="phone_number", customer="+" + young.phone_number,
                                     order_uuid=order.uuid)
        self.assertEqual(refused["state"], "failed")
        # A shop that sells anything with an age limit needs the order on the server before a payment.
        with self.assertRaisesRegex(UserError, "not saved on the server"):
            self.start_payment(10.0)
