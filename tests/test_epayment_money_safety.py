"""ePayment money safety: each test is one finding of the issue "ePayment money safety: busy answers,
refused cancels and check-ins must never leave money held, paid twice or pushed to the wrong customer".

1. a busy answer after a lost answer, and a refusal after an attempt that may have reached Vipps
   MobilePay, never fail a row that made money (a read-back decides); a re-sent create repeats the
   stored body;
2. a capture or cancel refused once is not refused forever (a new key per attempt) and never starves
   the poll: a payment approved while its cancel was refused is released;
4. refunds complete from Vipps MobilePay's answer; captured money no order books is shown and stops the
   session from closing; the captured amount is Vipps MobilePay's; transaction rows and the method's
   environment and public URL are not the POS managers' to write; phone numbers take the shop's country;
   webhook 401s say one thing; a public URL is stored as Vipps MobilePay signs it; webhooks are
   registered anew before the old registration goes.

The check-ins of finding 3 (and the rest of 4) are in test_epayment_checkins.
"""

import json
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.pos_mobilepay_transaction import utcnow
from .epayment_common import EPaymentCommon

CREATE = "/epayment/v1/payments"
CAPTURE = "/epayment/v1/payments/*/capture"
CANCEL = "/epayment/v1/payments/*/cancel"
REFUND = "/epayment/v1/payments/*/refund"
EVENTS = "/epayment/v1/payments/*/events"


@tagged("post_install", "-at_install")
class TestEPaymentMoneySafety(EPaymentCommon):
    def make_due(self, transaction):
        transaction.sudo().write({"next_poll_at": utcnow() - timedelta(seconds=1)})

    def approved(self, amount):
        transaction = self.transaction(self.start_payment(amount)["reference"])
        self.vipps.approve(transaction.provider_payment_id)
        return transaction

    def refund(self, payment, amount, **kwargs):
        payload = self.pos_payload(amount, order_name="Refund 0001", **kwargs)
        payload["refunded_transaction_reference"] = payment.reference
        return self.as_pos().mobilepay_start_refund(payload)

    # ------------------------------------------------------------------ 1. busy and refused after a lost answer

    def test_1_a_busy_answer_after_a_lost_create_is_not_a_failure(self):
        self.vipps.faults.add(method="POST", path=CREATE, kind="drop_after", times=1)
        self.vipps.faults.add(method="POST", path=CREATE, kind="status", status=429, times=None)
        answer = self.start_payment(437.53)
        transaction = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "unknown", "the lost attempt made the payment: never 'failed'")
        self.assertIn("busy", answer["reason"])
        self.assertEqual(self.vipps_payment(transaction)["state"], "CREATED")
        # The same line cannot start a second payment while this one is not answered.
        again = self.start_payment(437.53, line_uuid=transaction.line_uuid)
        self.assertEqual(again["reference"], answer["reference"])
        self.vipps.faults.clear()
        self.vipps.approve(transaction.provider_payment_id)
        self.make_due(transaction)
        self.drive(transaction, "captured")
        self.assertEqual(len(self.vipps.dump_state()["payments"]), 1, "one payment, captured once")

    def test_1_a_refusal_after_a_lost_create_is_read_back_before_it_fails(self):
        """The create is made, its answer lost; the retry is refused (any 4xx the key brings back, or one
        a gateway makes up): the read-back finds the payment, which is followed, not failed."""
        self.vipps.faults.add(method="POST", path=CREATE, kind="drop_after", times=1)
        self.vipps.faults.add(method="POST", path=CREATE, kind="status", status=400, times=None)
        answer = self.start_payment(18.0)
        transaction = self.transaction(answer["reference"])
        self.assertEqual(transaction.state, "waiting_for_customer")
        self.assertFalse(transaction.last_error)
        self.vipps.faults.clear()
        self.vipps.approve(transaction.provider_payment_id)
        self.drive(transaction, "captured")
        # With nothing made, the same refusal fails the row (and the read-back says so).
        refused = self.start_payment(19.0, send=False)
        self.vipps.faults.add(method="POST", path=CREATE, kind="status", status=400, times=1)
        self.transaction(refused["reference"])._mobilepay_advance()
        self.assertEqual(self.transaction(refused["reference"]).state, "failed")

    def test_1_a_refund_paid_out_whose_retry_is_busy_is_not_failed(self):
        paid = self.approved(100.0)
        self.drive(paid, "captured")
        self.vipps.faults.add(method="POST", path=REFUND, kind="drop_after", times=1)
        self.vipps.faults.add(method="POST", path=REFUND, kind="status", status=423, times=None)
        answer = self.refund(paid, 69.51)
        refund = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "unknown")
        self.assertEqual(self.vipps_payment(paid)["aggregate"]["refundedAmount"]["value"], 6951, "paid out")
        # It counts against what is left to refund: a second refund of that money is refused.
        with self.assertRaisesRegex(UserError, "At most 30.49"):
            self.refund(paid, 69.51)
        self.vipps.faults.clear()
        self.make_due(refund)
        self.drive(refund, "captured")
        self.assertEqual(self.vipps_payment(paid)["aggregate"]["refundedAmount"]["value"], 6951, "paid out once")

    def test_1_a_refund_refused_after_a_lost_attempt_is_read_back_from_the_event_log(self):
        paid = self.approved(80.0)
        self.drive(paid, "captured")
        self.vipps.faults.add(method="POST", path=REFUND, kind="drop_after", times=1)
        self.vipps.faults.add(method="POST", path=REFUND, kind="status", status=400, times=None)
        answer = self.refund(paid, 80.0)
        refund = self.transaction(answer["reference"])
        self.assertEqual(refund.state, "captured", "the REFUNDED event under our key says it was paid out")
        self.assertEqual(refund.captured_amount, 80.0)

    def pass_the_quiet_period(self, refund):
        """What a refused refund key made is concluded 30 s after its first refusal: the test does not wait."""
        refund.write({"refused_at": refund.refused_at - timedelta(seconds=31), "next_poll_at": utcnow()})

    def test_1_a_try_later_kept_for_the_key_is_tried_again_with_a_new_key(self):
        """Vipps answers a refund 'another operation is in progress' (6160) and keeps that answer for the
        key: the same key would replay it forever. Once nothing has come of the key for a while (the event
        log says so), the next attempt is a new request, and the refund is paid out once."""
        paid = self.approved(50.0)
        self.drive(paid, "captured")
        self.vipps.faults.add(method="POST", path=REFUND, kind="problem", code="6160", times=1)
        answer = self.refund(paid, 20.0)
        refund = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "unknown", "never a failure")
        self.assertTrue(refund.refused_at)
        self.pass_the_quiet_period(refund)
        self.drive(refund, "captured")
        self.assertIn("the next attempt uses a new key", " ".join(refund.event_ids.mapped("message")))
        refunds = [e for e in self.vipps_payment(paid)["events"] if e["name"] == "REFUNDED"]
        self.assertEqual(len(refunds), 1, "paid out once")
        self.assertEqual(refunds[0]["idempotencyKey"], refund.idempotency_key, "under the new key")

    def test_1_a_refund_refused_while_an_earlier_attempt_is_on_its_way_is_not_paid_twice(self):
        """A refund's first attempt times out at our end but is still being carried out at Vipps; the
        retry with the same key is refused. Nothing under the key yet: the refund waits, and when the
        first attempt lands it is adopted — no second refund with a new key, no failed row."""
        paid = self.approved(90.0)
        self.drive(paid, "captured")
        self.vipps.faults.add(method="POST", path=REFUND, kind="problem", code="6160", times=1)
        refund = self.transaction(self.refund(paid, 90.0)["reference"])
        self.assertEqual(refund.state, "unknown")
        # The attempt that was on its way lands under the same key.
        from ..mobilepay.epayment.emulator import payments as vipps_payments

        with self.vipps.state.transaction() as now:
            payment = self.vipps.state.find_payment(paid.provider_payment_id)
            vipps_payments.refund(self.vipps.state, payment, 9000, "DKK", refund.idempotency_key, now)
        self.pass_the_quiet_period(refund)
        self.drive(refund, "captured")
        refunds = [e for e in self.vipps_payment(paid)["events"] if e["name"] == "REFUNDED"]
        self.assertEqual(len(refunds), 1, "paid out once, by the attempt that was on its way")

    def test_1_a_re_sent_create_repeats_the_stored_body(self):
        """The till is renamed between a lost create and its re-send: the re-send is the same request
        (no 409 'same key, other body')."""
        coffee = self.new_product("Coffee")
        order = self.draft_order([(coffee, 1, 42.0, 0.0, None)])
        # Made at Vipps MobilePay, every answer lost (the client's own retries too).
        self.vipps.faults.add(method="POST", path=CREATE, kind="drop_after", times=3)
        answer = self.start_payment(42.0, order_uuid=order.uuid)
        transaction = self.transaction(answer["reference"])
        self.assertEqual(answer["state"], "unknown")
        self.config.sudo().write({"name": "Renamed till"})
        self.vipps.faults.clear()
        self.make_due(transaction)
        self.drive(transaction, "waiting_for_customer")
        receipt = self.vipps_payment(transaction)["receipt"]
        self.assertEqual(receipt["bottomLine"]["posId"], "MobilePay Shop")

    # ------------------------------------------------------------------ 2. cancel and capture cannot get stuck

    def test_2_a_cancel_refused_while_the_customer_approves_ends_with_the_money_released(self):
        answer = self.start_payment(468.75)
        transaction = self.transaction(answer["reference"])
        self.vipps.set_processing(transaction.provider_payment_id)
        status = self.cancel(answer["reference"])
        self.assertFalse(status["is_final"])
        self.assertIn("6250", status["reason"])
        transaction.invalidate_recordset()
        self.assertTrue(transaction.last_poll_at, "the refusal was followed by a read of the payment")
        self.assertEqual(transaction.settle_attempt, 1, "the next cancel is a new request")
        # The customer approves after all; the poller releases the reservation (the intent is cancel).
        self.vipps.set_processing(transaction.provider_payment_id, False)
        self.vipps.approve(transaction.provider_payment_id)
        self.make_due(transaction)
        self.drive(transaction, "cancelled_by_cashier")
        aggregate = self.vipps_payment(transaction)["aggregate"]
        self.assertEqual(aggregate["cancelledAmount"]["value"], aggregate["authorizedAmount"]["value"])
        self.assertEqual(aggregate["capturedAmount"]["value"], 0)

    def test_2_the_poll_goes_on_while_a_cancel_is_refused(self):
        """A refusal (here 'try again later' while the customer approves) never pushes the poll out: a
        customer who rejects meanwhile is seen at the next poll."""
        answer = self.start_payment(12.0)
        transaction = self.transaction(answer["reference"])
        self.vipps.set_processing(transaction.provider_payment_id)
        self.cancel(answer["reference"])
        self.vipps.set_processing(transaction.provider_payment_id, False)
        self.vipps.reject(transaction.provider_payment_id)
        self.make_due(transaction)
        self.drive(transaction, "cancelled_by_customer")

    def test_2_a_capture_refused_try_later_is_captured_with_a_new_key(self):
        transaction = self.approved(210.0)
        self.vipps.faults.add(method="POST", path=CAPTURE, kind="problem", status=400, code="6280", times=1)
        transaction._mobilepay_advance()
        transaction.invalidate_recordset()
        self.assertEqual((transaction.state, transaction.settle_attempt), ("reserved", 1))
        self.assertIn("6280", transaction.last_error)
        self.make_due(transaction)
        self.drive(transaction, "captured")
        captures = [e for e in self.vipps_payment(transaction)["events"] if e["name"] == "CAPTURED"]
        self.assertEqual(len(captures), 1)

    def test_2_a_capture_refused_again_and_again_waits_longer_each_time(self):
        """The poll between two refused captures does not reset the back-off while the payment stays
        reserved: the attempts space out (never one every poll delay, into Vipps MobilePay's rate limit)."""
        transaction = self.approved(60.0)
        self.vipps.faults.add(method="POST", path=CAPTURE, kind="problem", code="6260", times=None)
        for _attempt in range(3):
            self.make_due(transaction)
            transaction._mobilepay_advance()
            transaction.invalidate_recordset()
        self.assertEqual((transaction.state, transaction.error_count, transaction.settle_attempt), ("reserved", 3, 3))
        self.assertGreater(transaction.next_poll_at, utcnow() + timedelta(seconds=6), "2, 4, then 8 s")
        self.vipps.faults.clear()
        self.make_due(transaction)
        self.drive(transaction, "captured")

    def test_2_the_captured_amount_is_what_vipps_says_it_captured(self):
        transaction = self.approved(100.0)
        reference = transaction.provider_payment_id
        body = {"amount": {"currency": "DKK", "value": 10000}, "state": "AUTHORIZED", "pspReference": "p",
                "reference": reference, "aggregate": {
                    "authorizedAmount": {"currency": "DKK", "value": 10000},
                    "cancelledAmount": {"currency": "DKK", "value": 0},
                    "capturedAmount": {"currency": "DKK", "value": 9900},
                    "refundedAmount": {"currency": "DKK", "value": 0}}}
        self.vipps.faults.add(method="POST", path=CAPTURE, kind="body", body=json.dumps(body), times=1)
        self.drive(transaction, "captured")
        self.assertEqual(transaction.captured_amount, 99.0, "Vipps MobilePay's captured total, not our request")

    # ------------------------------------------------------------------ 4. refunds, unbooked money, access

    def test_4_a_refund_is_final_from_the_answer_without_waiting_for_its_event(self):
        paid = self.approved(60.0)
        self.drive(paid, "captured")
        self.vipps.faults.add(method="GET", path=EVENTS, kind="status", status=503, times=None)
        answer = self.refund(paid, 25.0)
        self.assertEqual(answer["state"], "captured", "paid out when Vipps MobilePay answered")
        self.assertTrue(answer["paid"] and answer["is_final"])

    def test_4_captured_money_no_order_books_is_shown_and_keeps_the_session_open(self):
        transaction = self.approved(33.0)
        self.drive(transaction, "captured")
        self.assertEqual(self.session.mobilepay_unbooked_ids, transaction)
        result = self.session._cannot_close_session()
        self.assertFalse(result["successful"])
        self.assertIn("no order of this session books", result["message"])
        with self.assertRaisesRegex(UserError, "no order of this session books"):
            self.session.action_pos_session_closing_control()
        with self.assertRaises(AccessError):
            transaction.with_user(self.pos_user).action_mobilepay_accept_unbooked()
        transaction.with_user(self.pos_manager).action_mobilepay_accept_unbooked()
        self.assertTrue(transaction.unbooked_accepted)
        self.assertIn("Accepted by", transaction.event_ids[0].message)
        self.session.invalidate_recordset()
        self.assertFalse(self.session.mobilepay_unbooked_ids)
        self.assertFalse(self.session._cannot_close_session())

    def test_4_an_order_needing_an_age_check_the_payment_did_not_ask_for_is_not_booked(self):
        """The POS saved one order and paid another (or added wine after the payment started): the money
        cannot be booked on an order whose products need an age check the payment did not ask for."""
        transaction = self.approved(75.5)
        self.drive(transaction, "captured")
        wine = self.new_product("Wine", age=18)
        order = {
            "uuid": transaction.order_uuid, "name": "Order wine", "session_id": self.session.id, "state": "paid",
            "user_id": self.env.uid, "pricelist_id": self.config.pricelist_id.id, "sequence_number": 1,
            "date_order": str(utcnow().replace(microsecond=0)), "amount_paid": 75.5, "amount_return": 0,
            "amount_tax": 0, "amount_total": 75.5, "last_order_preparation_change": "{}",
            "lines": [Command.create({"product_id": wine.id, "qty": 1, "price_unit": 75.5, "price_subtotal": 75.5,
                                      "price_subtotal_incl": 75.5, "tax_ids": [], "pack_lot_ids": []})],
            "payment_ids": [Command.create({"payment_method_id": self.mobilepay.id, "amount": 75.5,
                                            "uuid": transaction.line_uuid, "name": "x"})],
        }
        with self.assertRaisesRegex(UserError, "at least 18"):
            self.env["pos.order"].sync_from_ui([order])
        self.assertFalse(transaction.pos_payment_id)

    def test_4_pos_managers_cannot_write_transactions_nor_where_the_money_goes(self):
        transaction = self.transaction(self.start_payment(5.0)["reference"])
        with self.assertRaises(AccessError):
            transaction.with_user(self.pos_manager).write({"state": "captured"})
        manager_view = self.mobilepay.with_user(self.pos_manager)
        for values in ({"vipps_environment": "production"}, {"vipps_public_url": "https://evil.example"},
                       {"mobilepay_environment": "production"}):
            with self.assertRaises(AccessError):
                manager_view.write(values)
        # A method no session uses: an administrator sets its public URL, stored as Vipps MobilePay signs it.
        other = self._new_mobilepay_method("Vipps elsewhere", self.company_data, **self.mobilepay_values)
        other.write({"vipps_public_url": "https://Shop.Example:443/"})
        self.assertEqual(other.vipps_public_url, "https://shop.example")
        with self.assertRaises(AccessError):
            other.with_user(self.pos_manager).write({"vipps_public_url": "https://evil.example"})

    def test_4_a_number_without_its_country_code_is_one_of_the_shops_country(self):
        phone = self.vipps.demo.phone_numbers[0]  # a Danish customer
        self.assertTrue(phone.startswith("45"))
        self.company.country_id = self.env.ref("base.dk")
        answer = self.start_payment(15.0, flow="phone_number", customer=phone[2:])
        self.assertEqual(self.vipps_payment(self.transaction(answer["reference"]))["customer"], phone)
        norway = self.env.ref("base.no")
        self.company.country_id = norway
        answer = self.start_payment(15.0, flow="phone_number", customer=phone[2:])
        self.assertEqual(answer["state"], "failed", "a Norwegian shop reads 8 digits as a Norwegian number")
        answer = self.start_payment(15.0, flow="phone_number", customer="+" + phone)
        self.assertEqual(answer["state"], "waiting_for_approval", "a foreign number is typed with its code")

    def test_4_webhook_refusals_do_not_tell_registered_methods_apart(self):
        self.register_webhooks()
        body = b'{"reference": "x"}'
        answers = [
            self.opener.post(f"{self.base_url()}/pos_mobilepay/vipps/webhook/{method_id}", data=body, timeout=12)
            for method_id in (self.mobilepay.id, 999999)
        ]
        self.assertEqual([a.status_code for a in answers], [401, 401])
        self.assertEqual(answers[0].text, answers[1].text)

    def test_4_webhooks_are_registered_anew_before_the_old_registration_goes(self):
        # A sticker method (check-ins too), no session: its settings may change.
        method = self._new_mobilepay_method("Vipps sticker", self.company_data, **dict(
            self.mobilepay_values, vipps_flow="sticker", vipps_public_url=self.proxy_url))
        self.register_webhooks(method)
        method = method.sudo()
        first_payments, first_checkins = method.vipps_webhook_id, method.vipps_checkin_webhook_id
        self.assertTrue(first_payments and first_checkins and first_payments != first_checkins)
        logged = len(self.vipps.requests_log)
        self.register_webhooks(method)
        calls = [(m, p) for m, p, _status in self.vipps.requests_log[logged:] if p.startswith("/webhooks")]
        posts = [i for i, call in enumerate(calls) if call[0] == "POST"]
        deletes = [i for i, call in enumerate(calls) if call == ("DELETE", f"/webhooks/v1/webhooks/{first_payments}")]
        self.assertTrue(posts and deletes and posts[0] < deletes[0], calls)
        self.assertNotEqual(method.vipps_webhook_id, first_payments)
        self.assertEqual(method.vipps_checkin_webhook_id, first_checkins, "kept: one per sales unit")
        registered = {w["id"] for w in self.vipps.dump_state()["webhooks"]}
        self.assertEqual(registered, {method.vipps_webhook_id, first_checkins})
        # Both registrations' deliveries are accepted.
        self.assertEqual(len(method._vipps_webhook_secrets()), 2)
        # A method without the sticker flow takes no check-in registration (one per sales unit).
        self.register_webhooks()
        self.assertFalse(self.mobilepay.sudo().vipps_checkin_webhook_id)
        self.assertEqual(method.vipps_checkin_webhook_id, first_checkins)
