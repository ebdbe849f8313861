import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from .common import MobilePayCommon

SECRET = "s3cr3t-Never-Leaves-The-Server"
API_KEY = "api-key-that-stays-home"
CLIENT_ID = "client-id-that-stays-home"


@tagged("post_install", "-at_install")
class TestMobilePaySecurity(MobilePayCommon):
    # Credentials as an administrator would enter them (demo mode ignores them).
    mobilepay_values = {
        "mobilepay_client_secret": SECRET,
        "mobilepay_api_key": API_KEY,
        "mobilepay_client_id": CLIENT_ID,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A second company with its own MobilePay register and POS user.
        cls.company_data_2 = cls.setup_other_company(name="MobilePay Other Company", currency_id=cls.dkk.id)
        cls.company_2 = cls.company_data_2["company"]
        cls.mobilepay_2 = cls._new_mobilepay_method("MobilePay B", cls.company_data_2)
        cls.config_2 = cls._new_config("Other Shop", cls.mobilepay_2, company=cls.company_2)
        cls.session_2 = cls._open_session(cls.config_2)
        cls.pos_user_2 = cls._new_pos_user("mp_pos_user_2", cls.company_2)
        # A second register of the first company that does not use the MobilePay method.
        cash = cls.env["pos.payment.method"].create(
            {"name": "Cash MP test", "journal_id": cls.company_data["default_journal_cash"].id}
        )
        cls.config_cash = cls._new_config("Cash Only Shop", cash)
        cls.session_cash = cls._open_session(cls.config_cash)
        cls.internal_user = new_test_user(
            cls.env,
            login="mp_internal",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_pos_user_of_another_company_is_refused(self):
        with self.assertRaises(AccessError):
            self.start_payment(10.0, user=self.pos_user_2)
        # ... also with a session of its own company on our method.
        with self.assertRaises(AccessError):
            self.as_pos(self.mobilepay, self.pos_user_2).mobilepay_start_payment(
                self.pos_payload(10.0, session=self.session_2)
            )
        answer = self.start_payment(10.0)
        with self.assertRaises(AccessError):
            self.status(answer["reference"], user=self.pos_user_2)
        with self.assertRaises(AccessError):
            self.cancel(answer["reference"], user=self.pos_user_2)
        # Its own method with our reference: unknown.
        with self.assertRaises(UserError):
            self.status(answer["reference"], method=self.mobilepay_2, user=self.pos_user_2, session=self.session_2)
        # Our user on the other company's session and method.
        with self.assertRaises(AccessError):
            self.as_pos(self.mobilepay_2).mobilepay_start_payment(self.pos_payload(10.0, session=self.session_2))
        # The transaction itself is invisible to the other company's user.
        self.assertFalse(
            self.env["pos.mobilepay.transaction"]
            .with_user(self.pos_user_2)
            .with_context(allowed_company_ids=self.company_2.ids)
            .search([("reference", "=", answer["reference"])])
        )

    def test_session_must_use_this_method(self):
        with self.assertRaisesRegex(UserError, "not a payment method"):
            self.as_pos().mobilepay_start_payment(self.pos_payload(10.0, session=self.session_cash))

    def test_only_pos_users(self):
        with self.assertRaises(AccessError):
            self.start_payment(10.0, user=self.internal_user)
        answer = self.start_payment(10.0)
        with self.assertRaises(AccessError):
            self.mobilepay.with_user(self.internal_user).mobilepay_payment_status(
                {"pos_session_id": self.session.id, "reference": answer["reference"]}
            )
        transaction = self.transaction(answer["reference"])
        # POS users read transactions, only managers act on them.
        self.assertTrue(transaction.with_user(self.pos_user).read(["state"]))
        with self.assertRaises(AccessError):
            transaction.with_user(self.pos_user).action_mobilepay_cancel()
        with self.assertRaises(AccessError):
            transaction.with_user(self.pos_user).write({"intent": "cancel"})
        transaction.with_user(self.pos_manager).action_mobilepay_cancel()
        self.assertEqual(transaction.state, "cancelled_by_cashier")

    def test_secrets_are_not_loaded_in_the_pos(self):
        session = self.session.with_user(self.pos_user)
        data = session.load_data(["pos.config", "pos.payment.method"])
        params = session.load_data_params()
        fields = set(params["pos.payment.method"]["fields"])
        self.assertIn("mobilepay_environment", fields)
        for field_name in ("mobilepay_client_secret", "mobilepay_api_key", "mobilepay_client_id"):
            self.assertNotIn(field_name, fields)
        dumped = json.dumps([data, params], default=str)
        for secret in (SECRET, API_KEY, CLIENT_ID):
            self.assertNotIn(secret, dumped)
        record = next(m for m in data["pos.payment.method"] if m["id"] == self.mobilepay.id)
        self.assertEqual(record["use_payment_terminal"], "mobilepay")

    def test_secrets_are_readable_by_administrators_only(self):
        for user in (self.pos_user, self.pos_manager):
            method = self.mobilepay.with_user(user)
            with self.assertRaises(AccessError):
                method.read(["mobilepay_client_secret"])
            with self.assertRaises(AccessError):
                method.read(["mobilepay_api_key"])
            self.assertNotIn("mobilepay_client_secret", method.fields_get())
        self.assertEqual(self.mobilepay.sudo().mobilepay_client_secret, SECRET)

    def test_bus_payloads_carry_no_secret(self):
        answer = self.start_payment(10.0)
        self.cancel(answer["reference"])
        dumped = json.dumps(self.pushes())
        for secret in (SECRET, API_KEY, CLIENT_ID, self.emulator.demo.client_secret):
            self.assertNotIn(secret, dumped)

    def test_journal_currency_must_match(self):
        usd = self._enable_currency("USD")
        journal = self.company_data["default_journal_bank"].copy(
            {"currency_id": usd.id, "code": "USDB", "name": "USD Bank"}
        )
        # Core constraints would refuse this on a config with an open session; it can still drift.
        self.env.cr.execute(
            "UPDATE pos_payment_method SET journal_id = %s WHERE id = %s", (journal.id, self.mobilepay.id)
        )
        self.mobilepay.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "journal"):
            self.start_payment(10.0)

    def test_paid_mobilepay_payment_cannot_be_edited(self):
        """Core's "Edit payment" must not turn a MobilePay payment into another one, or back."""
        bank = self.env["pos.payment.method"].create(
            {
                "name": "Bank (test)",
                "journal_id": self.company_data["default_journal_bank"].id,
                "company_id": self.company.id,
            }
        )
        config = self.env["pos.config"].create(
            {
                "name": "Shop with two methods",
                "company_id": self.company.id,
                "payment_method_ids": [Command.set([self.mobilepay.id, bank.id])],
            }
        )
        session = self._open_session(config)
        captured = self.paid_transaction(12.0, session=session)
        order = self.env["pos.order"].create(
            {
                "session_id": session.id,
                "company_id": self.company.id,
                "amount_total": 20.0,
                "amount_tax": 0.0,
                "amount_paid": 20.0,
                "amount_return": 0.0,
            }
        )
        mobilepay_payment = self.env["pos.payment"].create(
            {
                "pos_order_id": order.id,
                "payment_method_id": self.mobilepay.id,
                "amount": 12.0,
                "uuid": captured.line_uuid,
                "transaction_id": captured.provider_payment_id,
            }
        )
        bank_payment = self.env["pos.payment"].create(
            {"pos_order_id": order.id, "payment_method_id": bank.id, "amount": 8.0}
        )
        # While the order is a draft the POS may still change its lines.
        mobilepay_payment.write({"amount": 13.0})
        mobilepay_payment.write({"amount": 12.0})
        order.write({"state": "paid"})
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            mobilepay_payment.write({"payment_method_id": bank.id})
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            mobilepay_payment.write({"amount": 5.0})
        with self.assertRaisesRegex(UserError, "cannot be edited"):
            bank_payment.write({"payment_method_id": self.mobilepay.id})
        # Writing what is already there, or editing two non-MobilePay payments, stays allowed.
        mobilepay_payment.write({"amount": 12.0, "payment_method_id": self.mobilepay.id})
        bank_payment.write({"amount": 8.0})
        self.assertEqual(mobilepay_payment.payment_method_id, self.mobilepay)
