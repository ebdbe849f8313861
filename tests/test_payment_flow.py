import time
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.pos_mobilepay_transaction import PUSH_FIELDS, utcnow
from .common import MobilePayCommon


@tagged("post_install", "-at_install")
class TestMobilePayPaymentFlow(MobilePayCommon):
    def test_payment_lifecycle(self):
        """Start -> the customer checks in and approves -> the poller captures -> paid, pushed on the bus."""
        answer = self.start_payment(12.5, order_name="Shop/0001")
        self.assertEqual(answer["state"], "waiting_for_customer")
        self.assertFalse(answer["is_final"])
        self.assertFalse(answer["paid"])
        self.assertEqual(answer["currency"], "DKK")
        self.assertEqual(answer["amount"], 12.5)
        self.assertEqual(answer["beacon_id"], self.registration.beacon_id)
        self.assertEqual(answer["qr_payload"], f"mobilepaypos://pos?id={self.registration.beacon_id}&source=qr")
        self.assertTrue(answer["qr_svg"].startswith("data:image/svg+xml;base64,"))
        self.assertEqual(answer["phone_url"], f"{self.emulator.base_url}/phone?beaconId={self.registration.beacon_id}")
        self.assertGreater(answer["poll_after_ms"], 0)

        transaction = self.transaction(answer["reference"])
        self.assertEqual(transaction.kind, "payment")
        self.assertEqual(transaction.session_id, self.session)
        self.assertEqual(transaction.company_id, self.company)
        self.assertTrue(transaction.idempotency_key)
        self.assertTrue(transaction.provider_payment_id)
        self.assertEqual(transaction.intent, "capture")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "Initiated")

        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "captured")
        self.assertEqual(transaction.captured_amount, 12.5)
        self.assertEqual(transaction.provider_status, "Captured")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "Captured")
        # The rule the poller follows: never poll sooner than pollDelayInMs.
        self.assertEqual(self.emulator.early_polls, 0)

        status = self.status(answer["reference"])
        self.assertEqual(status["state"], "captured")
        self.assertTrue(status["paid"])
        self.assertTrue(status["is_final"])
        self.assertEqual(status["transaction_id"], transaction.provider_payment_id)
        self.assertEqual(status["line_uuid"], transaction.line_uuid)
        self.assertEqual(status["poll_after_ms"], 0)
        self.assertFalse(status["reason"])

        pushes = [p for p in self.pushes() if p["reference"] == answer["reference"]]
        self.assertEqual(pushes[-1]["state"], "captured")
        self.assertTrue(pushes[-1]["paid"])
        self.assertIn("reserved", [p["state"] for p in pushes])
        for payload in pushes:
            self.assertEqual(set(payload), set(PUSH_FIELDS))
        self.assertTrue(transaction.event_ids)
        self.assertIn("Captured", " ".join(transaction.event_ids.mapped("message")))

    def test_start_is_idempotent_on_the_line(self):
        payload = self.pos_payload(20.0)
        first = self.as_pos().mobilepay_start_payment(payload)
        second = self.as_pos().mobilepay_start_payment(dict(payload))
        self.assertEqual(first["reference"], second["reference"])
        self.assertEqual(
            self.env["pos.mobilepay.transaction"].search_count([("line_uuid", "=", payload["line_uuid"])]), 1
        )
        # Another amount for the same running line is refused, not started twice.
        with self.assertRaises(UserError):
            self.as_pos().mobilepay_start_payment(dict(payload, amount=21.0))
        # Once captured, asking again gives the captured payment back (never a second charge).
        transaction = self.transaction(first["reference"])
        transaction._mobilepay_advance()  # the poller sends the create call
        self.customer_pays(first["beacon_id"])
        self.drive(transaction, "captured")
        third = self.as_pos().mobilepay_start_payment(dict(payload))
        self.assertEqual(third["reference"], first["reference"])
        self.assertTrue(third["paid"])

    def test_cancel_by_customer(self):
        answer = self.start_payment(30.0)
        transaction = self.transaction(answer["reference"])
        self.customer.simulate_checkin(answer["beacon_id"], "+4520031801")
        self.customer.simulate_cancel_payment_by_user(answer["beacon_id"])
        self.drive(transaction, "cancelled_by_customer")
        status = self.status(answer["reference"])
        self.assertTrue(status["is_final"])
        self.assertFalse(status["paid"])
        self.assertIn("declined", status["reason"])
        # The line may be tried again: a new transaction (new reference, new key).
        again = self.start_payment(30.0, line_uuid=transaction.line_uuid)
        self.assertNotEqual(again["reference"], answer["reference"])
        self.assertNotEqual(self.transaction(again["reference"]).idempotency_key, transaction.idempotency_key)

    def test_cancel_by_mobilepay(self):
        answer = self.start_payment(15.0)
        transaction = self.transaction(answer["reference"])
        self.emulator.cancel_by_mobilepay(transaction.provider_payment_id)
        self.drive(transaction, "cancelled_by_provider")
        status = self.status(answer["reference"])
        self.assertFalse(status["paid"])
        self.assertIn("MobilePay cancelled", status["reason"])
        self.assertEqual(status["provider_status"], "CancelledByMobilePay")

    def test_cancel_by_cashier(self):
        answer = self.start_payment(40.0)
        status = self.cancel(answer["reference"])
        self.assertEqual(status["state"], "cancelled_by_cashier")
        self.assertTrue(status["is_final"])
        self.assertFalse(status["paid"])
        transaction = self.transaction(answer["reference"])
        self.assertEqual(transaction.intent, "cancel")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "CancelledByClient")
        pushes = [p for p in self.pushes() if p["reference"] == answer["reference"]]
        self.assertEqual(pushes[-1]["state"], "cancelled_by_cashier")
        # A second cancel is harmless.
        self.assertEqual(self.cancel(answer["reference"])["state"], "cancelled_by_cashier")

    def test_cancel_after_capture_keeps_the_payment(self):
        answer = self.start_payment(25.0)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "captured")
        status = self.cancel(answer["reference"])
        self.assertEqual(status["state"], "captured")
        self.assertTrue(status["paid"])
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "Captured")

    def test_cancel_reserved_payment(self):
        """The customer approved, but the cashier cancels before the capture: the reservation is cancelled."""
        self.emulator.faults.add(method="POST", path="/pos/v10/payments/*/capture", status=503, times=None)
        answer = self.start_payment(33.0)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "reserved")
        self.assertTrue(transaction.last_error)  # the capture failed (503 after the client's retries)
        status = self.cancel(answer["reference"])
        self.assertEqual(status["state"], "cancelled_by_cashier")
        self.assertEqual(self.emulator.payment_status(transaction.provider_payment_id), "CancelledByClient")

    def test_reservation_expires(self):
        self.emulator.faults.add(method="POST", path="/pos/v10/payments/*/capture", status=503, times=None)
        answer = self.start_payment(18.0)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "reserved")
        self.emulator.expire_reservation(transaction.provider_payment_id)
        transaction.sudo().write({"next_poll_at": utcnow()})  # as if the back-off had passed
        self.drive(transaction, "expired")
        self.assertIn("expired", self.status(answer["reference"])["reason"])

    def test_status_polls_when_the_poller_is_late(self):
        """No cron ran: the status call asks MobilePay itself, but never before the next poll time."""
        answer = self.start_payment(10.0)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        transaction.sudo().write({"next_poll_at": utcnow() + timedelta(seconds=60)})
        self.assertEqual(self.status(answer["reference"])["state"], "waiting_for_customer")
        self.assertFalse(transaction.last_poll_at)
        transaction.sudo().write({"next_poll_at": utcnow() - timedelta(seconds=5)})
        status = self.status(answer["reference"])
        self.assertIn(status["state"], ("reserved", "captured"))
        deadline = time.monotonic() + 5
        while not status["paid"] and time.monotonic() < deadline:
            time.sleep(0.1)
            self.transaction(answer["reference"]).sudo().write({"next_poll_at": utcnow() - timedelta(seconds=5)})
            status = self.status(answer["reference"])
        self.assertTrue(status["paid"])

    def test_poller_cron_round(self):
        """The cron's entry point makes one round in tests (no commits) and captures what is reserved."""
        answer = self.start_payment(11.0)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        deadline = time.monotonic() + 10
        while transaction.state != "captured" and time.monotonic() < deadline:
            self.env["pos.mobilepay.transaction"]._cron_mobilepay_poll()
            transaction.invalidate_recordset()
            time.sleep(0.05)
        self.assertEqual(transaction.state, "captured")

    def test_start_needs_an_open_session_and_a_valid_amount(self):
        with self.assertRaisesRegex(UserError, "greater than zero"):
            self.start_payment(0)
        with self.assertRaisesRegex(UserError, "greater than zero"):
            self.start_payment(-5)
        with self.assertRaisesRegex(UserError, "number"):
            self.start_payment("12")
        with self.assertRaisesRegex(UserError, "identifier"):
            self.start_payment(5, line_uuid="x" * 40)
        with self.assertRaisesRegex(UserError, "session"):
            self.as_pos().mobilepay_start_payment(dict(self.pos_payload(5), pos_session_id=999999))
        with self.assertRaisesRegex(UserError, "Invalid"):
            self.as_pos().mobilepay_start_payment(["not", "a", "dict"])
        self.session.write({"state": "closing_control"})
        with self.assertRaisesRegex(UserError, "not open"):
            self.start_payment(5)

    def test_start_refused_by_mobilepay_is_failed(self):
        self.emulator.faults.add(method="POST", path="/pos/v10/payments", status=400, times=1)
        payload = self.pos_payload(9.0)
        calls_before = len(self.emulator.requests_log)
        answer = self.as_pos().mobilepay_start_payment(payload)
        self.assertEqual(answer["state"], "new", "the start stores the payment; the poller sends it")
        self.assertTrue(answer["qr_svg"], "the QR is shown at once")
        self.assertEqual(len(self.emulator.requests_log), calls_before, "no MobilePay call inside the start")
        transaction = self.transaction(answer["reference"])
        self.assertTrue(transaction.idempotency_key, "stored before any call")
        transaction._mobilepay_advance()
        transaction.invalidate_recordset()
        self.assertEqual(transaction.state, "failed")
        status = self.status(answer["reference"])
        self.assertIn("MobilePay", status["reason"])
        self.assertEqual(self.pushes()[-1]["state"], "failed")
        # The cashier tries again: a new transaction goes through.
        again = self.start_payment(9.0, line_uuid=payload["line_uuid"])
        self.assertEqual(again["state"], "waiting_for_customer")
