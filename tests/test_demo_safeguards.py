"""Demo can never pass for money: where new methods start, untested keys take nothing, what the POS learns
of demo methods, and who starts the emulator.

Whether the database has demo data is patched either way, so these run alike on a database with demo
data and on one without.
"""

import logging
import socket
from contextlib import contextmanager

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models import mobilepay_demo
from ..models.pos_payment_method_epayment import TEST_STAND_IN_PARAMETER
from .demo_database import database_with_demo
from .epayment_common import EPaymentCommon


@tagged("post_install", "-at_install")
class TestDemoSafeguards(EPaymentCommon):
    def _created(self, user=None, **values):
        Method = self.env["pos.payment.method"].with_user(user or self.env.user)
        return Method.create(
            {
                "name": "New Vipps MobilePay",
                "journal_id": self.company_data["default_journal_bank"].id,
                "payment_method_type": "terminal",
                "use_payment_terminal": "mobilepay",
                **values,
            }
        )

    def _emulator_keys(self):
        demo = self.vipps.demo
        return {"vipps_client_id": demo.client_id, "vipps_client_secret": demo.client_secret,
                "vipps_subscription_key": demo.subscription_key, "vipps_msn": demo.msn}

    @contextmanager
    def _test_environment_at_the_emulator(self):
        """The emulator stands in for the test environment (the system parameter): the keys are checked."""
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param(TEST_STAND_IN_PARAMETER, self.vipps.base_url)
        try:
            yield
        finally:
            Param.set_param(TEST_STAND_IN_PARAMETER, False)

    def test_new_methods_start_in_test_outside_a_demo_database(self):
        with database_with_demo(False):
            method = self._created()
            self.assertEqual((method.mobilepay_api, method.vipps_environment, method.mobilepay_environment),
                             ("epayment", "test", "sandbox"))
            self.assertFalse(method.mobilepay_demo)
            self.assertTrue(method.mobilepay_untested)
        with database_with_demo(True):
            method = self._created()
            self.assertEqual((method.vipps_environment, method.mobilepay_environment), ("demo", "demo"))
            self.assertTrue(method.mobilepay_demo)
            self.assertFalse(method.mobilepay_demo_warning, "a demo database expects demo methods")

    def test_demo_is_an_administrators_choice_outside_a_demo_database(self):
        with database_with_demo(False):
            with self.assertRaises(AccessError):
                self._created(user=self.pos_manager, vipps_environment="demo")
            self.assertEqual(self._created(user=self.pos_manager).vipps_environment, "test")
            self.assertTrue(self._created(vipps_environment="demo").mobilepay_demo)
        with database_with_demo(True):
            self.assertEqual(self._created(user=self.pos_manager, vipps_environment="demo").vipps_environment, "demo")

    def test_untested_keys_take_no_money_and_nothing_is_made(self):
        method = self._new_mobilepay_method("Vipps test", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="test", **self._emulator_keys())
        self.assertTrue(method.mobilepay_untested)
        session = self._open_session(self._new_config("Untested shop", method))
        Transaction = self.env["pos.mobilepay.transaction"].sudo()
        before = Transaction.search_count([])
        with self.assertRaises(UserError) as caught:
            self.as_pos(method).mobilepay_start_payment(self.pos_payload(20.0, session=session))
        self.assertIn("Test connection", str(caught.exception))
        self.assertEqual(Transaction.search_count([]), before, "nothing made")
        self.assertFalse(self.vipps.dump_state()["payments"], "nothing sent")

    def test_tested_keys_take_payments_until_they_change(self):
        method = self._new_mobilepay_method("Vipps tested", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="test", **self._emulator_keys())
        with self._test_environment_at_the_emulator():
            result = method.with_user(self.pos_manager).action_mobilepay_test_connection()
            self.assertEqual(result["params"]["type"], "success", result["params"])
            self.assertFalse(method.mobilepay_untested)
            method.write({"vipps_client_secret": "another-secret"})
            self.assertTrue(method.mobilepay_untested, "new keys are tested again")
            method.write({"vipps_client_secret": self.vipps.demo.client_secret})
            method.action_mobilepay_test_connection()
            self.assertFalse(method.mobilepay_untested)
            session = self._open_session(self._new_config("Tested shop", method))
            answer = self.as_pos(method).mobilepay_start_payment(self.pos_payload(20.0, session=session))
            transaction = self.transaction(answer["reference"])
            transaction._mobilepay_advance()
            self.assertEqual(self.vipps_payment(transaction)["amount"]["value"], 2000, "the tested keys take it")

    def test_a_failed_connection_test_leaves_the_method_untested(self):
        method = self._new_mobilepay_method("Vipps wrong", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="test",
                                            **dict(self._emulator_keys(), vipps_client_secret="wrong"))
        with self._test_environment_at_the_emulator():
            result = method.action_mobilepay_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertTrue(method.mobilepay_untested)

    def test_demo_methods_need_no_connection_test(self):
        self.assertTrue(self.mobilepay.mobilepay_untested, "never tested")
        answer = self.start_payment(15.0)
        self.assertEqual(self.vipps.payment(answer["reference"])["amount"]["value"], 1500, answer)

    def test_the_pos_learns_which_methods_are_demo_and_when_to_warn(self):
        session = self.session.with_user(self.pos_user)
        fields = set(session.load_data_params()["pos.payment.method"]["fields"])
        self.assertLessEqual({"mobilepay_demo", "mobilepay_demo_warning"}, fields)
        for has_demo, warned in ((True, False), (False, True)):
            with database_with_demo(has_demo):
                self.env.invalidate_all()
                data = session.load_data(["pos.payment.method"])["pos.payment.method"]
                ours = next(m for m in data if m["id"] == self.mobilepay.id)
                self.assertEqual((ours["mobilepay_demo"], ours["mobilepay_demo_warning"]), (True, warned))

    def test_only_demo_methods_start_the_emulator_and_the_log_says_whose(self):
        live = self._new_mobilepay_method("Vipps live", self.company_data, mobilepay_api="epayment",
                                          vipps_environment="production", **self._emulator_keys())
        with self.assertRaises(UserError):
            live._mobilepay_demo_purpose()
        purpose = self.mobilepay._mobilepay_demo_purpose()
        self.assertIn(repr(self.mobilepay.name), purpose)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        with self.assertLogs(mobilepay_demo._logger.name, logging.INFO) as logs:
            process = mobilepay_demo.ensure_running(url, program=mobilepay_demo.EPAYMENT_PROGRAM, purpose=purpose)
        try:
            self.assertIsNotNone(process)
            self.assertIn(f"for {purpose}, no money moves", "\n".join(logs.output))
        finally:
            process.terminate()
            process.wait(10)

    def test_methods_from_before_the_check_keep_taking_payments(self):
        """An upgraded database: the new column is empty on methods that took payments all along."""
        method = self._new_mobilepay_method("Vipps upgraded", self.company_data, mobilepay_api="epayment",
                                            vipps_environment="production", **self._emulator_keys())
        self.env.cr.execute("UPDATE pos_payment_method SET mobilepay_untested = NULL WHERE id = %s", [method.id])
        method.invalidate_recordset()
        method._mobilepay_check_ready()  # no error
        self.assertFalse(method.mobilepay_untested)

    def test_the_stand_in_for_the_test_environment_never_stands_in_for_production(self):
        live = self._new_mobilepay_method("Vipps live", self.company_data, mobilepay_api="epayment",
                                          vipps_environment="production", **self._emulator_keys())
        with self._test_environment_at_the_emulator():
            self.assertEqual(live._mobilepay_provider().config.hosts.base, "https://api.vipps.no")
            live.write({"vipps_environment": "test"})
            self.assertEqual(live._mobilepay_provider().config.hosts.base, self.vipps.base_url)

    def test_a_mobilepay_method_is_a_terminal_method(self):
        """Odoo's form shows "Integrate with: MobilePay" only for terminal methods (not "None required")."""
        method = self.env["pos.payment.method"].create(
            {"name": "Vipps", "journal_id": self.company_data["default_journal_bank"].id,
             "use_payment_terminal": "mobilepay", "vipps_environment": "demo"}
        )
        self.assertEqual(method.payment_method_type, "terminal")
