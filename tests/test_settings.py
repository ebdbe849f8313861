import hashlib
import os
import re
import socket
import threading

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..mobilepay.v10.emulator import EmulatorSettings
from ..models import mobilepay_demo
from .common import MobilePayCommon


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestMobilePaySettings(MobilePayCommon):
    def test_registration_at_session_open(self):
        registration = self.registration
        self.assertEqual(registration.state, "registered")
        self.assertEqual(registration.payment_method_id, self.mobilepay)
        self.assertEqual(registration.company_id, self.company)
        self.assertTrue(registration.pos_id)
        self.assertFalse(registration.idempotency_key, "the create key is dropped once its answer is stored")
        self.assertEqual(registration.qr_payload, f"mobilepaypos://pos?id={registration.beacon_id}&source=qr")
        self.assertTrue(registration.qr_image)
        merchant_pos_id = registration.merchant_pos_id
        self.assertLessEqual(len(merchant_pos_id), 36)
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        tag = hashlib.sha256(f"{database_uuid}:{self.env.cr.dbname}".encode()).hexdigest()[:12]
        self.assertEqual(merchant_pos_id, f"odoo-{tag}-c{self.config.id}-m{self.mobilepay.id}")
        self.assertEqual(self.customer.find_pos_ids(merchant_pos_id=merchant_pos_id), [registration.pos_id])
        pos = self.customer.get_pos(registration.pos_id)
        self.assertEqual(pos.name, "MobilePay Shop")
        self.assertEqual(pos.store_id, self.emulator.demo.store_id)
        self.assertEqual(self.mobilepay.mobilepay_store_id, self.emulator.demo.store_id)

    def test_resync_keeps_or_recreates(self):
        registration = self.registration
        pos_id = registration.pos_id
        registration.write({"state": "draft"})
        registration._mobilepay_sync()
        self.assertEqual(registration.pos_id, pos_id, "an unchanged PoS is kept")
        # A PoS is immutable: a new name means a new PoS (the old one is deleted).
        registration.write({"name": "Till 1 / Entrance"})
        self.assertEqual(registration.state, "draft")
        registration._mobilepay_sync()
        self.assertNotEqual(registration.pos_id, pos_id)
        self.assertEqual(self.customer.get_pos(registration.pos_id).name, "Till 1 / Entrance")
        self.assertEqual(
            self.customer.find_pos_ids(merchant_pos_id=registration.merchant_pos_id), [registration.pos_id]
        )
        # A printed sticker: a fixed 15-digit beacon id.
        registration.write({"fixed_beacon_id": "123456789012345", "beacon_nfc": True})
        registration._mobilepay_sync()
        self.assertEqual(registration.beacon_id, "123456789012345")
        self.assertEqual(registration.qr_payload, "mobilepaypos://pos?id=123456789012345&source=qr")
        with self.assertRaises(ValidationError):
            registration.write({"fixed_beacon_id": "12345"})

    def test_outage_does_not_block_the_session(self):
        method = self._new_mobilepay_method("MobilePay Down", self.company_data)
        config = self._new_config("Offline Shop", method)
        self.env["ir.config_parameter"].sudo().set_param(
            mobilepay_demo.URL_PARAMETER, f"http://127.0.0.1:{free_port()}"
        )
        session = self._open_session(config)
        self.assertEqual(session.state, "opened")
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", config.id)])
        self.assertEqual(registration.state, "error")
        self.assertIn("emulator", registration.last_error)

    def test_test_connection(self):
        action = self.mobilepay.with_user(self.pos_manager).action_mobilepay_test_connection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Emulator Store DK", action["params"]["message"])
        self.env["ir.config_parameter"].sudo().set_param(
            mobilepay_demo.URL_PARAMETER, f"http://127.0.0.1:{free_port()}"
        )
        action = self.mobilepay.action_mobilepay_test_connection()
        self.assertEqual(action["params"]["type"], "danger")

    def test_settings_are_validated(self):
        with self.assertRaises(ValidationError):
            self._new_mobilepay_method("Bad VAT", self.company_data, mobilepay_merchant_vat="DK123")
        with self.assertRaises(ValidationError):
            self._new_mobilepay_method("Bad brand", self.company_data, mobilepay_merchant_brand_id="NOPE")
        with self.assertRaises(ValidationError):
            self._new_mobilepay_method("Bad version", self.company_data, mobilepay_system_version="18")

    def test_phone_page_link_in_demo_mode(self):
        self.assertEqual(self.mobilepay.mobilepay_phone_url, f"{self.emulator.base_url}/phone")
        self.assertIn("mobilepay_phone_url", self.mobilepay.get_views([(False, "form")])["views"]["form"]["arch"])

    def test_demo_constants_match_the_emulator(self):
        defaults = EmulatorSettings()
        self.assertEqual(mobilepay_demo.DEMO_CLIENT_ID, defaults.demo_client_id)
        self.assertEqual(mobilepay_demo.DEMO_CLIENT_SECRET, defaults.demo_client_secret)
        self.assertEqual(mobilepay_demo.DEMO_MERCHANT_VAT, self.emulator.demo.merchant_vat)
        self.assertEqual(mobilepay_demo.DEMO_MERCHANT_BRAND_ID, self.emulator.demo.merchant_brand_id)
        self.assertEqual(mobilepay_demo.DEMO_MERCHANT_LOCATION_ID, self.emulator.demo.merchant_location_id)

    def test_demo_emulator_is_started_once(self):
        """Nothing listens: several workers at once start exactly one detached emulator, which then answers."""
        url = f"http://127.0.0.1:{free_port()}"
        started, errors = [], []

        def worker():
            try:
                started.append(mobilepay_demo.ensure_running(url))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker) for _index in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        processes = [process for process in started if process is not None]
        try:
            self.assertFalse(errors)
            self.assertEqual(len(processes), 1)
            self.assertTrue(mobilepay_demo.is_listening(url))
            # The addon can use it: demo mode with that URL and auto-start allowed.
            self.env["ir.config_parameter"].sudo().set_param(mobilepay_demo.URL_PARAMETER, url)
            summary = (
                self.mobilepay.with_context(mobilepay_emulator_autostart=True)._mobilepay_provider().test_connection()
            )
            self.assertTrue(re.match(r"Connected", summary))
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            port = int(url.rsplit(":", 1)[1])
            for path in (mobilepay_demo.log_path(port), mobilepay_demo.lock_path(port)):
                if os.path.exists(path):
                    os.remove(path)
