"""ePayment settings on the payment method: defaults, keys, connection test, webhooks, v10 sticker migration."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .demo_database import database_with_demo
from .epayment_common import EPaymentCommon


@tagged("post_install", "-at_install")
class TestEPaymentSettings(EPaymentCommon):
    def test_a_new_method_takes_epayment_with_the_qr_on_screen_in_demo_mode(self):
        with database_with_demo(True):  # elsewhere a new method starts in test (test_demo_safeguards)
            method = self.env["pos.payment.method"].create(
                {"name": "New MobilePay", "journal_id": self.company_data["default_journal_bank"].id,
                 "use_payment_terminal": "mobilepay", "payment_method_type": "terminal"}
            )
        self.assertEqual((method.mobilepay_api, method.vipps_environment, method.vipps_flow),
                         ("epayment", "demo", "qr_on_screen"))
        self.assertEqual(method.mobilepay_phone_url, f"{self.vipps.base_url}/phone")

    def test_connection_test_in_demo_mode(self):
        result = self.mobilepay.action_mobilepay_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"])
        self.assertIn(f"sales unit {self.vipps.demo.msn}", result["params"]["message"])

    def test_keys_are_needed_outside_demo_mode_and_never_shown(self):
        method = self._new_mobilepay_method("Vipps live", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="test", vipps_client_id="cid",
                                            vipps_client_secret="VERY-SECRET-VALUE")
        with self.assertRaises(UserError) as caught:
            method._mobilepay_provider()
        self.assertIn("Subscription Key", str(caught.exception))
        self.assertIn("Merchant Serial Number", str(caught.exception))
        self.assertNotIn("VERY-SECRET-VALUE", str(caught.exception))
        for field_name in ("vipps_client_secret", "vipps_subscription_key", "vipps_msn", "vipps_client_id"):
            with self.assertRaises(AccessError):
                method.with_user(self.pos_manager).read([field_name])
        with self.assertRaises(ValidationError):
            method.vipps_msn = "12"
        method.write({"vipps_subscription_key": "sub", "vipps_msn": "654321"})
        provider = method._mobilepay_provider()
        self.assertEqual(provider.config.hosts.base, "https://apitest.vipps.no")
        self.assertNotIn("VERY-SECRET-VALUE", repr(provider.config))

    def test_webhooks_need_a_public_https_address_outside_demo_mode(self):
        method = self._new_mobilepay_method("Vipps prod", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="production", vipps_client_id="c",
                                            vipps_client_secret="s", vipps_subscription_key="k", vipps_msn="123456",
                                            vipps_public_url="http://shop.example.com")
        with self.assertRaises(UserError) as caught:
            method.action_vipps_register_webhooks()
        self.assertIn("https://", str(caught.exception))

    def test_only_managers_set_up_vipps(self):
        with self.assertRaises(UserError):
            self.mobilepay.with_user(self.pos_user).action_vipps_register_webhooks()

    def test_a_printed_v10_sticker_keeps_working_after_the_switch(self):
        method = self._new_mobilepay_method("Was v10", self.company_data, mobilepay_api="v10")
        config = self._new_config("Switching Shop", method)
        Registration = self.env["pos.mobilepay.registration"]
        registration = Registration._mobilepay_get_or_create(config, method)
        registration._mobilepay_sync()
        beacon = registration.beacon_id
        self.assertTrue(beacon)
        method.write({"mobilepay_api": "epayment", "vipps_environment": "demo", "vipps_flow": "sticker"})
        registration.invalidate_recordset()
        self.assertEqual(registration.state, "draft", "made with another API: registered again")
        registration._mobilepay_sync()
        self.assertEqual((registration.state, registration.pos_id), ("registered", beacon))
        sticker = next(q for q in self.vipps.dump_state()["callbackQrs"] if q["merchantQrId"] == beacon)
        self.assertTrue(sticker["beacon"], "registered as the v10 sticker it is")
        self.assertTrue(registration.qr_image_url)
