"""The Vipps MobilePay webhook endpoint and the sticker flow (ePayment API.md 10.5, 11.5)."""

import json
from datetime import datetime, timedelta, timezone

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..mobilepay.epayment import signature
from ..models.pos_mobilepay_transaction import utcnow
from .epayment_common import EPaymentCommon


class TestEPaymentWebhooksBase(EPaymentCommon):
    def _event(self, transaction, name="AUTHORIZED", **extra):
        return {
            "msn": self.vipps.demo.msn,
            "reference": transaction.provider_payment_id,
            "pspReference": "psp-1",
            "name": name,
            "amount": {"currency": "DKK", "value": int(transaction.amount * 100)},
            "timestamp": "2026-12-01T10:00:00Z",
            "success": True,
            **extra,
        }

    def _signed(self, body, secret=None, url=None, moment=None):
        raw = json.dumps(body).encode()
        method = self.mobilepay.sudo()
        headers = signature.sign(secret or method.vipps_webhook_secret, url or method.vipps_webhook_url, raw, moment)
        headers["Content-Type"] = "application/json"
        return raw, headers

    def _signed_raw(self, raw):
        method = self.mobilepay.sudo()
        headers = signature.sign(method.vipps_webhook_secret, method.vipps_webhook_url, raw)
        headers["Content-Type"] = "application/json"
        return raw, headers


@tagged("post_install", "-at_install")
class TestEPaymentWebhooks(TestEPaymentWebhooksBase):
    def test_registration_stores_id_and_secret_for_admins_only(self):
        self.register_webhooks()
        method = self.mobilepay.sudo()
        self.assertTrue(method.vipps_webhook_id and method.vipps_webhook_secret)
        self.assertEqual(method.vipps_webhook_url, f"{self.proxy_url}/pos_mobilepay/vipps/webhook/{method.id}")
        registered = self.vipps.dump_state()
        self.assertIn(method.vipps_webhook_url, json.dumps(registered))
        # Registering again replaces ours (one check-in registration per sales unit).
        first = method.vipps_webhook_id
        self.register_webhooks()
        self.assertNotEqual(method.vipps_webhook_id, first)
        fields = self.env["pos.payment.method"]._load_pos_data_fields(self.config)
        for secret_field in ("vipps_webhook_secret", "vipps_client_secret", "vipps_subscription_key", "vipps_msn"):
            self.assertNotIn(secret_field, fields)
        with self.assertRaises(AccessError):
            self.mobilepay.with_user(self.pos_manager).read(["vipps_webhook_secret"])

    def test_an_event_makes_its_payment_due_and_the_poller_reads_the_truth(self):
        self.register_webhooks()
        transaction = self.transaction(self.start_payment(20.0)["reference"])
        transaction.write({"next_poll_at": "2999-01-01"})
        self.vipps.approve(transaction.provider_payment_id)
        deliveries = self.delivered(2)  # CREATED, then AUTHORIZED, signed for the registered URL
        for body, headers in deliveries:
            self.assertEqual(self.forward(body, headers).status_code, 200)
        transaction.invalidate_recordset()
        self.assertTrue(transaction._mobilepay_is_due(), "the event woke the payment up")
        self.assertEqual(transaction.state, "waiting_for_customer", "an event alone moves no money")
        transaction._mobilepay_process()
        self.assertEqual(transaction.state, "captured")
        # Delivered again (a retry): nothing more happens.
        self.assertEqual(self.forward(*deliveries[-1]).status_code, 200)
        self.assertEqual(self.vipps_payment(transaction)["aggregate"]["capturedAmount"]["value"], 2000)

    def test_with_webhooks_a_waiting_payment_is_read_when_an_event_comes_not_every_poll_delay(self):
        transaction = self.transaction(self.start_payment(21.0)["reference"])
        self.assertLessEqual(transaction.next_poll_at, utcnow(), "without webhooks: read at once")
        self.register_webhooks()
        transaction = self.transaction(self.start_payment(22.0)["reference"])
        self.assertGreaterEqual(transaction.next_poll_at, utcnow() + timedelta(seconds=3),
                                "with webhooks: the events say what the customer does")
        transaction.write({"next_poll_at": utcnow()})  # a late event: looked at anyway
        transaction._mobilepay_process()
        self.assertEqual(transaction.state, "waiting_for_customer")
        self.assertGreaterEqual(transaction.next_poll_at, transaction.last_poll_at + timedelta(seconds=3),
                                "not at every poll delay (1 s) while an event is expected")
        self.vipps.approve(transaction.provider_payment_id)
        for body, headers in self.delivered(2):  # CREATED, AUTHORIZED
            self.assertEqual(self.forward(body, headers).status_code, 200)
        transaction.invalidate_recordset()
        self.assertTrue(transaction._mobilepay_is_due(), "the event makes it due at once")
        transaction._mobilepay_process()
        self.assertEqual(transaction.state, "captured")

    def test_forged_tampered_stale_and_malformed_deliveries_change_nothing(self):
        self.register_webhooks()
        transaction = self.transaction(self.start_payment(21.0)["reference"])
        transaction.write({"next_poll_at": "2999-01-01"})
        body = self._event(transaction)
        raw, headers = self._signed(body)
        cases = {
            "wrong secret": (self._signed(body, secret="not the secret"), 401),
            "other url": (self._signed(body, url="https://evil.example/pos_mobilepay/vipps/webhook/1"), 401),
            "tampered": ((raw.replace(b"AUTHORIZED", b"CAPTURED!!"), headers), 401),
            "unsigned": ((raw, {"Content-Type": "application/json"}), 401),
            "stale": (self._signed(body, moment=datetime.now(timezone.utc) - timedelta(days=8)), 401),
            "not json": (self._signed_raw(b"not json"), 400),
            "no event": (self._signed_raw(b'{"hello": 1}'), 400),
        }
        for label, ((data, hdrs), status) in cases.items():
            self.assertEqual(self.forward(data, hdrs).status_code, status, label)
        big = b"{" + b" " * (70 * 1024) + b"}"
        self.assertEqual(self.forward(*self._signed_raw(big)).status_code, 413)
        transaction.invalidate_recordset()
        self.assertFalse(transaction._mobilepay_is_due(), "nothing woke the payment")
        # Another method's endpoint with this method's signature: refused too.
        other = self._new_mobilepay_method("Vipps 2", self.company_data, mobilepay_api="epayment")
        self.assertEqual(self.forward(raw, headers, method=other).status_code, 401)
        self.assertEqual(self.forward(raw, headers).status_code, 200)


@tagged("post_install", "-at_install")
class TestEPaymentSticker(TestEPaymentWebhooksBase):
    mobilepay_values = {"mobilepay_api": "epayment", "vipps_environment": "demo", "vipps_flow": "sticker"}

    def test_sticker_flow_payment_first_then_checkin(self):
        self.register_webhooks()
        self.assertEqual(self.mobilepay.action_vipps_create_stickers()["params"]["type"], "success")
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", self.config.id)])
        self.assertEqual(registration.state, "registered")
        self.assertTrue(registration.qr_image_url and registration.qr_payload)
        answer = self.start_payment(33.0)
        transaction = self.transaction(answer["reference"])
        self.assertTrue(answer["awaiting_checkin"])
        self.assertEqual(answer["flow"], "sticker")
        transaction._mobilepay_advance()
        self.assertEqual(transaction.state, "new", "nothing is sent before the customer scans")
        self.assertFalse(self.vipps.dump_state().get("payments"), "no payment at Vipps MobilePay yet")
        token = self.vipps.scan_callback_qr(registration.pos_id)
        (body, headers), = self.delivered(1)
        self.assertEqual(json.loads(body)["merchantQrId"], registration.pos_id)
        self.assertEqual(self.forward(body, headers).status_code, 200)
        self.assertEqual(self.pushes(name="MOBILEPAY_CHECKIN")[-1]["config_id"], self.config.id)
        transaction.invalidate_recordset()
        self.assertFalse(transaction.awaiting_checkin)
        self.assertEqual(transaction.sudo().customer_input, token)
        self.drive(transaction, "waiting_for_approval")
        self.vipps.approve(transaction.provider_payment_id)
        self.drive(transaction, "captured")
        # The same check-in delivered again is not kept for the next payment.
        self.assertEqual(self.forward(body, headers).status_code, 200)
        registration.invalidate_recordset()
        self.assertFalse(registration.sudo().checkin_token)

    def test_sticker_flow_checkin_first_then_payment(self):
        self.register_webhooks()
        self.mobilepay.action_vipps_create_stickers()
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", self.config.id)])
        token = self.vipps.scan_callback_qr(registration.pos_id)
        self.assertEqual(self.forward(*self.delivered(1)[0]).status_code, 200)
        answer = self.start_payment(34.0)
        self.assertFalse(answer["awaiting_checkin"], "the waiting customer's check-in is used at once")
        transaction = self.transaction(answer["reference"])
        self.assertEqual(transaction.sudo().customer_input, token)
        self.assertEqual(answer["state"], "waiting_for_approval")
        # The check-in is used up: the next payment waits for a new scan.
        self.assertTrue(self.start_payment(35.0)["awaiting_checkin"])

    def test_a_checkin_at_another_methods_sticker_is_not_ours(self):
        self.register_webhooks()
        body = {"customerToken": "tok-1", "merchantQrId": "someone-elses-till", "msn": self.vipps.demo.msn,
                "initiatedAt": "2026-12-01T10:00:00.0000000Z"}
        self.assertEqual(self.forward(*self._signed(body)).status_code, 200)
        self.assertFalse(self.pushes(name="MOBILEPAY_CHECKIN"))

    def test_a_cashier_cancels_a_payment_still_waiting_for_the_scan(self):
        self.register_webhooks()
        self.mobilepay.action_vipps_create_stickers()
        answer = self.start_payment(36.0)
        self.assertEqual(self.cancel(answer["reference"])["state"], "cancelled_by_cashier")
        self.assertFalse(self.vipps.dump_state().get("payments"))

    def test_a_sticker_payment_nobody_scans_is_abandoned_without_any_call(self):
        answer = self.start_payment(37.0)
        transaction = self.transaction(answer["reference"])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE pos_mobilepay_transaction SET state_changed_at = now() at time zone 'utc' - interval '2 hours', "
            "create_date = now() at time zone 'utc' - interval '2 hours' WHERE id = %s",
            [transaction.id],
        )
        transaction.invalidate_recordset()
        calls_before = len(self.vipps.requests_log)
        summary = self.env["pos.mobilepay.transaction"]._cron_mobilepay_reconcile()
        self.assertEqual(summary["abandoned"], 1)
        self.assertEqual(summary["found"], 0, "never sent: not looked up as a lost start")
        transaction.invalidate_recordset()
        self.assertEqual((transaction.state, transaction.awaiting_checkin), ("cancelled_by_cashier", False))
        self.assertEqual(len(self.vipps.requests_log), calls_before, "no call to Vipps MobilePay")
