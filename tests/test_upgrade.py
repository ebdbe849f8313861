"""An 18.0 database upgraded to 19.0 keeps the addon's data as 18.0 wrote it.

The port changed no stored state or parameter: these tests hold that promise. The values
below are those 18.0 (tag ``18.0``) writes; a rename in 19.0 without a ``migrations/19.0.*``
script fails here. What did change, the version headers' defaults, has its script
(``migrations/19.0.1.2.0``), tested here on a method as 18.0 left it.
"""

import ast
import importlib.util
import os
import uuid

from odoo.tests import tagged

from ..models.pos_payment_method_epayment import PLUGIN_VERSION
from .common import MobilePayCommon

# What 18.0 stores, column by column (models of tag 18.0).
STORED_IN_18 = {
    ("pos.mobilepay.transaction", "state"): [
        "new", "unknown", "waiting_for_customer", "checked_in", "waiting_for_approval", "pending", "reserved",
        "captured", "cancelled_by_customer", "cancelled_by_cashier", "cancelled_by_provider", "expired", "failed",
    ],
    ("pos.mobilepay.transaction", "kind"): ["payment", "refund"],
    ("pos.mobilepay.transaction", "intent"): ["capture", "cancel"],
    ("pos.mobilepay.transaction", "flow"): ["qr_on_screen", "phone_number", "personal_qr", "sticker"],
    ("pos.payment.method", "mobilepay_api"): ["epayment", "v10"],
    ("pos.payment.method", "vipps_flow"): ["qr_on_screen", "phone_number", "personal_qr", "sticker"],
}
# The SQL objects 18.0 made: an upgraded database keeps them and gets no second copy.
CONSTRAINTS_OF_18 = {
    "pos_mobilepay_transaction_reference_uniq",
    "pos_mobilepay_transaction_amount_positive",
    "pos_mobilepay_registration_config_method_uniq",
    "pos_mobilepay_registration_merchant_pos_id_uniq",
    "pos_mobilepay_registration_fixed_beacon_method_uniq",
}
INDEXES_OF_18 = {"pos_mobilepay_transaction_open_line_uniq"}
PARAMETERS_OF_18 = {
    "pos_mobilepay.emulator_url",
    "pos_mobilepay.epayment_emulator_url",
    "pos_mobilepay.poller_threads",
    "pos_mobilepay.abandon_after_minutes",
    "pos_mobilepay.event_retention_days",
}


@tagged("post_install", "-at_install")
class TestMobilePayUpgradeFrom18(MobilePayCommon):
    def test_every_value_18_stored_is_a_value_19_knows(self):
        for (model, field_name), values in STORED_IN_18.items():
            known = {value for value, _label in self.env[model]._fields[field_name]._description_selection(self.env)}
            self.assertFalse(set(values) - known, f"{model}.{field_name}: 18.0 values 19.0 no longer knows")

    def test_the_sql_constraints_keep_their_18_names(self):
        self.env.cr.execute(
            "SELECT conname FROM pg_constraint WHERE conname = ANY(%s)", (list(CONSTRAINTS_OF_18),)
        )
        self.assertEqual({name for (name,) in self.env.cr.fetchall()}, CONSTRAINTS_OF_18)
        self.env.cr.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", (list(INDEXES_OF_18),))
        self.assertEqual({name for (name,) in self.env.cr.fetchall()}, INDEXES_OF_18)

    def test_the_parameters_18_read_are_still_read(self):
        from ..models import (
            mobilepay_demo,
            pos_mobilepay_poller,
            pos_mobilepay_reconciliation,
            pos_mobilepay_transaction_event,
        )

        read_now = {
            mobilepay_demo.URL_PARAMETER,
            mobilepay_demo.EPAYMENT_URL_PARAMETER,
            pos_mobilepay_poller.THREADS_PARAMETER,
            pos_mobilepay_reconciliation.ABANDON_PARAMETER,
            pos_mobilepay_transaction_event.RETENTION_PARAMETER,
        }
        self.assertEqual(read_now, PARAMETERS_OF_18)

    def test_a_row_written_by_18_is_read_and_followed(self):
        """A captured payment as 18.0's SQL left it (only the columns 18.0 had) reads as captured and final."""
        reference = str(uuid.uuid4())
        self.env.cr.execute(
            """INSERT INTO pos_mobilepay_transaction
               (reference, kind, flow, state, is_final, intent, config_id, company_id, payment_method_id,
                registration_id, currency_id, amount, captured_amount, provider_payment_id, idempotency_key,
                line_uuid, error_count, create_date, write_date)
               VALUES (%s, 'payment', 'qr_on_screen', 'captured', true, 'capture', %s, %s, %s, %s, %s, 25, 25,
                       %s, %s, %s, 0, now() at time zone 'utc', now() at time zone 'utc')
               RETURNING id""",
            (reference, self.config.id, self.company.id, self.mobilepay.id, self.registration.id, self.dkk.id,
             reference, reference, reference),
        )
        transaction = self.env["pos.mobilepay.transaction"].browse(self.env.cr.fetchone()[0])
        self.assertEqual((transaction.state, transaction.kind, transaction.amount), ("captured", "payment", 25.0))
        self.assertTrue(transaction.is_final)
        # Not due for the poller, and refundable up to what it captured.
        self.assertFalse(transaction.filtered_domain(transaction._mobilepay_active_domain()))
        self.assertEqual(transaction.refunded_amount, 0.0)

    def _migrate(self, version, stage, installed):
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", version, f"{stage}-migrate.py")
        spec = importlib.util.spec_from_file_location(f"pos_mobilepay_{stage}_migrate_{version}", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, installed)
        self.env.invalidate_all()

    def test_the_version_headers_follow_the_series_unless_the_merchant_set_them(self):
        manifest = os.path.join(os.path.dirname(__file__), "..", "__manifest__.py")
        with open(manifest, encoding="utf-8") as file:
            self.assertEqual(ast.literal_eval(file.read())["version"], PLUGIN_VERSION)
        typed = self.mobilepay.copy({"name": "Certified", "mobilepay_system_version": "2.4.1"})
        methods = self.mobilepay | typed
        # As 18.0 left them: its defaults, and one version the merchant typed.
        self.env.cr.execute(
            "UPDATE pos_payment_method SET vipps_system_version = '18.0', vipps_plugin_version = '18.0.1.2.0', "
            "mobilepay_system_version = CASE WHEN id = %s THEN '2.4.1' ELSE '18.0.1' END WHERE id IN %s",
            (typed.id, tuple(methods.ids)),
        )
        self._migrate("19.0.1.2.0", "post", "18.0.1.2.0")
        self.assertEqual(
            (self.mobilepay.vipps_system_version, self.mobilepay.vipps_plugin_version,
             self.mobilepay.mobilepay_system_version),
            ("19.0", "19.0.1.2.0", "19.0.1"),
        )
        self.assertEqual(typed.mobilepay_system_version, "2.4.1")
        # A new method says the same as an upgraded one.
        fresh = self.env["pos.payment.method"].new({"use_payment_terminal": "mobilepay"})
        self.assertEqual((fresh.vipps_system_version, fresh.vipps_plugin_version), ("19.0", PLUGIN_VERSION))

    def test_a_method_from_before_epayment_upgrades_to_v10(self):
        """An 18.0.1.0.x database (before ePayment) still upgrades through the 18.0.1.1.0 script."""
        self.env.cr.execute(
            "UPDATE pos_payment_method SET mobilepay_api = NULL WHERE id = %s", (self.mobilepay.id,)
        )
        self._migrate("18.0.1.1.0", "pre", "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(self.mobilepay.mobilepay_api, "v10")
