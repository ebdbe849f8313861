# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The cashier's side in a real browser: POS tours against the MobilePay emulators.

Each tour runs the Odoo 19 POS in headless Chromium; the Odoo server talks to a
MobilePay emulator started here (the PoS API v10's, or the Vipps MobilePay ePayment
one). The customer is played by this test: a tiny HTTP "customer driver" on
127.0.0.1 (its address goes to the tour in the URL) that the tour calls at the
right moment, and that acts on the emulator like the customer's phone would: v10,
check in, approve or decline through its user-simulation API; ePayment, approve
the payment once it exists there, scan the till's sticker (the emulator
then delivers the signed check-in webhook to Odoo itself), show a payment code.

Bus pushes: during a tour Odoo allows the websocket and hands each bus notification
to the connected websockets at once (HttpCase.browser_js), so the POS gets the
MOBILEPAY_STATE pushes as in production (the polling fallback covers anything else).

Screenshots: with POS_MOBILEPAY_SCREENSHOT_DIR set, the tours' "screenshot" steps
save PNGs of the page there (used for the README).
"""

import json
import logging
import os
import threading
import time
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from ..controllers.demo_phone import PHONE_ROUTE
from ..mobilepay.epayment.emulator import ControlError, EPaymentEmulator, EPaymentEmulatorSettings
from ..mobilepay.v10.emulator import Emulator, EmulatorSettings
from ..models import mobilepay_demo
from ..models.pos_payment_method_readiness import PosPaymentMethod as ReadinessMethod
from .demo_database import database_with_demo

_logger = logging.getLogger(__name__)

CUSTOMER_PHONE = "+4520031801"
VIPPS_CUSTOMER = "4512345678"  # a demo customer of the ePayment emulator
SCREENSHOT_ENV = "POS_MOBILEPAY_SCREENSHOT_DIR"
SCREENSHOT_SIGNAL = "MOBILEPAY_SCREENSHOT:"


class CustomerDriver:
    """HTTP endpoints the tour calls to act as the customer (or as MobilePay)."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.calls = []
        self.errors = []
        self._server = None
        self._thread = None

    # ------------------------------------------------------------------ actions

    def _beacon(self, body):
        beacon = body.get("beacon_id")
        if beacon:
            return beacon
        live = [p for p in self.emulator.dump_state()["pointOfSales"] if not p.get("deleted")]
        if len(live) != 1:
            raise RuntimeError(f"cannot tell which PoS the customer stands at: {len(live)} PoS")
        return live[0]["beaconId"]

    def act(self, action, body):
        self.calls.append(action)
        if action == "checkin":
            self.emulator.user_checkin(self._beacon(body), CUSTOMER_PHONE)
        elif action == "accept":
            self.emulator.user_accept_payment(self._beacon(body), CUSTOMER_PHONE)
        elif action == "reject":
            self.emulator.user_cancel_payment(self._beacon(body))
        elif action == "refund_window":
            self.emulator.settings.refund_window_s = float(body["seconds"])
        elif action == "answers_lost":
            # MobilePay carries out every payment create, and every answer is lost on the way back.
            self.emulator.faults.add(method="POST", path="/pos/v10/payments", kind="drop_after", times=None)
        elif action == "answers_back":
            self.emulator.faults.clear()
        else:
            raise ValueError(f"unknown action {action!r}")

    # ------------------------------------------------------------------ server

    def start(self):
        driver = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status, text=""):
                data = text.encode()
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self):  # noqa: N802 - http.server naming
                self._reply(204)

            def do_POST(self):  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                action = self.path.strip("/").split("?")[0]
                try:
                    body = json.loads(raw or b"{}")
                    answer = driver.act(action, body)
                except Exception as error:  # reported to the tour, which then fails
                    driver.errors.append(f"{action}: {error}")
                    _logger.warning("customer driver: %s failed: %s", action, error)
                    self._reply(500, f"{action}: {error}")
                    return
                self._reply(200, answer or "ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="mobilepay-customer")
        self._thread.start()
        return self

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class VippsCustomerDriver(CustomerDriver):
    """The customer at the Vipps MobilePay ePayment emulator (same endpoints for the tour)."""

    WAIT_S = 20.0

    def _created_payment(self, body):
        """Our reference of the running payment, once the server's create call made it at the emulator."""
        reference = body.get("reference")
        if not reference:
            raise RuntimeError("the tour sent no payment reference")
        deadline = time.monotonic() + self.WAIT_S
        while True:
            with suppress(ControlError):
                if self.emulator.payment(reference)["state"] == "CREATED":
                    return reference
            if time.monotonic() > deadline:
                raise RuntimeError(f"payment {reference} did not appear at the emulator")
            time.sleep(0.1)

    def act(self, action, body):
        self.calls.append(action)
        phone = body.get("phone") or VIPPS_CUSTOMER
        if action == "approve":
            self.emulator.approve(self._created_payment(body))
        elif action == "scan_sticker":
            stickers = self.emulator.dump_state()["callbackQrs"]
            if len(stickers) != 1:
                raise RuntimeError(f"cannot tell which sticker the customer scans: {len(stickers)} stickers")
            self.emulator.scan_callback_qr(stickers[0]["merchantQrId"], phone)
        elif action == "personal_qr":
            return self.emulator.demo.personal_qrs[phone]
        else:
            raise ValueError(f"unknown action {action!r}")
        return None


def _screenshot_console_handler(original, directory):
    """Wraps ChromeBrowser._handle_console: a "MOBILEPAY_SCREENSHOT:<name>" log saves a PNG."""

    def handle_console(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002 - CDP naming
        if args:
            with suppress(Exception):
                first = str(browser._from_remoteobject(args[0]))
                if first.startswith(SCREENSHOT_SIGNAL):
                    name = "".join(c for c in first[len(SCREENSHOT_SIGNAL) :] if c.isalnum() or c in "_-")
                    future = browser._websocket_send("Page.captureScreenshot", with_future=True)

                    def save(done, name=name):
                        import base64

                        with suppress(Exception):
                            png = base64.b64decode(done.result(timeout=0)["data"])
                            os.makedirs(directory, exist_ok=True)
                            with open(os.path.join(directory, f"{name}.png"), "wb") as f:
                                f.write(png)
                            _logger.info("MobilePay screenshot saved: %s.png", name)

                    future.add_done_callback(save)
        return original(browser, type, args=args, stackTrace=stackTrace, **kw)

    return handle_console


class MobilePayTourCase(TestPointOfSaleHttpCommon):
    """A DKK register with a MobilePay method (``mobilepay_values``), the customer ``driver`` and live pushes."""

    mobilepay_values = {}

    @classmethod
    def setup_independent_company(cls, **kwargs):
        # MobilePay takes DKK and EUR only: the test company works in DKK.
        kwargs.setdefault("currency_id", cls.env.ref("base.DKK").id)
        return super().setup_independent_company(**kwargs)

    @classmethod
    def _setup_mobilepay(cls, driver):
        """After the emulator is up and demo mode points at it."""
        # The tours run alike on databases with and without demo data: the warning that a demo method
        # sits in a database without demo data shows only where a test asks for it (database_with_demo).
        cls.startClassPatcher(patch.object(ReadinessMethod, "_mobilepay_database_has_demo", lambda self: True))
        cls.mobilepay_method = cls.env["pos.payment.method"].create(
            {
                "name": "MobilePay",
                "journal_id": cls.bank_journal.id,
                "payment_method_type": "terminal",
                "use_payment_terminal": "mobilepay",
                **cls.mobilepay_values,
            }
        )
        cls.main_pos_config.write(
            {
                "payment_method_ids": [Command.link(cls.mobilepay_method.id)],
                # The cashier validates: the tours check what happens before that.
                "auto_validate_terminal_payment": False,
            }
        )
        cls.driver = driver.start()
        cls.addClassCleanup(cls.driver.stop)

        directory = os.environ.get(SCREENSHOT_ENV)
        if directory:
            cls.startClassPatcher(
                patch.object(
                    ChromeBrowser,
                    "_handle_console",
                    _screenshot_console_handler(ChromeBrowser._handle_console, directory),
                )
            )

    def setUp(self):
        super().setUp()
        self.driver.errors.clear()
        self.driver.calls.clear()

    def _start(self, tour):
        self.main_pos_config.open_ui()
        url = f"{self._get_url()}?mobilepay_driver={self.driver.url}"
        self.start_tour(url, tour, login="pos_user")
        self.assertFalse(self.driver.errors, "the customer driver failed")

    def _pos_payments(self):
        return self.env["pos.payment"].search([("payment_method_id", "=", self.mobilepay_method.id)], order="id")

    def _validate_terminal_payments_automatically(self):
        """The register validates an order its terminal payment paid in full (Odoo's option)."""
        self.main_pos_config.write({"auto_validate_terminal_payment": True})


@tagged("post_install", "-at_install")
class TestMobilePayTours(MobilePayTourCase):
    mobilepay_values = {"mobilepay_api": "v10", "mobilepay_environment": "demo"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = Emulator(EmulatorSettings(payment_poll_delay_ms=200, refund_poll_delay_ms=100)).start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.env["ir.config_parameter"].sudo().set_param("pos_mobilepay.emulator_url", cls.emulator.base_url)
        cls._setup_mobilepay(CustomerDriver(cls.emulator))

    def setUp(self):
        super().setUp()
        state = self.emulator.dump_state()
        self._known_payments = len(state["payments"])
        self._known_refunds = len(state["refunds"])
        self.emulator.settings.refund_window_s = 90 * 24 * 3600

    def _emulator_payments(self):
        """The payments this test made at MobilePay (the emulator keeps earlier ones)."""
        return self.emulator.dump_state()["payments"][self._known_payments :]

    def _emulator_refunds(self):
        return self.emulator.dump_state()["refunds"][self._known_refunds :]

    def test_pay(self):
        self._start("MobilePayPayTour")
        payments = self._emulator_payments()
        self.assertEqual([p["status"] for p in payments], ["Captured"])
        line = self._pos_payments()
        self.assertEqual(len(line), 1)
        self.assertTrue(line.transaction_id, "the receipt's transaction reference is saved on the payment")
        self.assertEqual(line.pos_order_id.state, "paid")

    def test_customer_rejects_then_retry(self):
        self._start("MobilePayRejectRetryTour")
        self.assertEqual([p["status"] for p in self._emulator_payments()], ["CancelledByUser", "Captured"])
        self.assertEqual(len(self._pos_payments()), 1, "only the paid attempt is on the order")

    def test_cashier_cancels(self):
        self._start("MobilePayCashierCancelTour")
        self.assertEqual(
            [p["status"] for p in self._emulator_payments()],
            ["CancelledByClient", "CancelledByClient"],
            "the Cancel button and the removed line both cancelled at MobilePay",
        )
        self.assertFalse(self._pos_payments(), "no MobilePay payment on the order")

    def test_reload_mid_payment(self):
        # After the reload the order still validates itself once the payment is paid.
        self._validate_terminal_payments_automatically()
        self._start("MobilePayReloadTour")
        self.assertEqual([p["status"] for p in self._emulator_payments()], ["Captured"])
        line = self._pos_payments()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.pos_order_id.state, "paid")

    def test_refund(self):
        self._start("MobilePayRefundTour")
        refunds = self._emulator_refunds()
        self.assertEqual([r["status"] for r in refunds], ["Captured"])
        lines = self._pos_payments()
        self.assertEqual(sorted(lines.mapped("amount")), [-1.98, 1.98])

    def test_no_answer_from_mobilepay(self):
        self._start("MobilePayNoAnswerTour")
        payments = self._emulator_payments()
        self.assertEqual([p["status"] for p in payments], ["Captured"], "one payment, taken once")
        line = self._pos_payments()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.pos_order_id.state, "paid")


@tagged("post_install", "-at_install")
class TestMobilePayEPaymentTours(MobilePayTourCase):
    """The Vipps MobilePay ePayment flows at the till, against the ePayment emulator in demo mode."""

    mobilepay_values = {"mobilepay_api": "epayment", "vipps_environment": "demo"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Webhook deliveries wait for the test server's lock behind the browser's requests.
        cls.vipps = EPaymentEmulator(
            EPaymentEmulatorSettings.for_tests(webhook_timeout_s=10.0, webhook_retry_delays_s=(0.5, 1.0, 2.0))
        ).start()
        cls.addClassCleanup(cls.vipps.stop)
        cls.env["ir.config_parameter"].sudo().set_param(mobilepay_demo.EPAYMENT_URL_PARAMETER, cls.vipps.base_url)
        cls._setup_mobilepay(VippsCustomerDriver(cls.vipps))

    def setUp(self):
        super().setUp()
        self.vipps.reset()

    def _start(self, tour, flow="qr_on_screen"):
        """Opens the session with the method in ``flow`` (a method cannot change while a session is open)."""
        method = self.mobilepay_method
        method.write({"vipps_flow": flow})
        if flow == "sticker":
            # Vipps MobilePay posts the check-ins to this test server.
            method.write({"vipps_public_url": self.base_url()})
            for action in (method.action_vipps_register_webhooks, method.action_vipps_create_stickers):
                result = action()
                self.assertEqual(result["params"]["type"], "success", result["params"])
            # The check-in webhook comes from the emulator, not from the browser: it carries no test cookie.
            with patch.object(self, "http_request_allow_all", True):
                super()._start(tour)
            return
        super()._start(tour)

    def _vipps_payments(self):
        return self.vipps.dump_state()["payments"]

    def _assert_paid_once(self, amount=198):
        payments = self._vipps_payments()
        self.assertEqual([p["state"] for p in payments], ["AUTHORIZED"], "one payment, taken once")
        self.assertEqual(payments[0]["aggregate"]["capturedAmount"]["value"], amount)
        line = self._pos_payments()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.pos_order_id.state, "paid")
        self.assertTrue(line.transaction_id)
        return payments[0]

    def test_qr_on_screen(self):
        # The POS saves the order before the payment starts: what the customer's app shows and the age limit
        # come from the order as the server has it.
        self.desk_pad.vipps_minimum_age = 18
        # A demo method in a database without demo data: the POS warns at start; the dialog, the line and
        # the receipt say that no money moves (the tour checks them).
        with database_with_demo(False):
            self.env.invalidate_all()  # the warning is computed again, as the POS loads
            self._start("MobilePayEPaymentQrTour")
        payment = self._assert_paid_once()
        self.assertEqual(payment["flow"], "QR")
        self.assertEqual(payment["minimumUserAge"], 18, "the desk pad's age limit, from the server's order")
        self.assertEqual([line["name"] for line in payment["receipt"]["orderLines"]], ["Desk Pad"])

    def test_phone_number(self):
        self._start("MobilePayEPaymentPhoneTour", flow="phone_number")
        payment = self._assert_paid_once()
        self.assertEqual(payment["customer"], VIPPS_CUSTOMER, "sent to the number the cashier typed")

    def test_switch_from_the_qr_to_the_phone_number(self):
        self._start("MobilePayEPaymentSwitchFlowTour")
        qr, phone = self._vipps_payments()
        self.assertEqual((qr["flow"], qr["state"]), ("QR", "TERMINATED"), "the QR payment was cancelled")
        self.assertEqual((phone["state"], phone["customer"]), ("AUTHORIZED", VIPPS_CUSTOMER))
        self.assertEqual(phone["aggregate"]["capturedAmount"]["value"], 198)
        line = self._pos_payments()
        self.assertEqual(len(line), 1, "one line: the switch went on on the same line")
        self.assertEqual(line.pos_order_id.state, "paid")

    def test_personal_qr(self):
        self._start("MobilePayEPaymentPersonalQrTour", flow="personal_qr")
        self.assertEqual(self._assert_paid_once()["customer"], VIPPS_CUSTOMER)

    def test_sticker_checkin(self):
        self._start("MobilePayEPaymentStickerTour", flow="sticker")
        self.assertEqual(self._assert_paid_once()["customer"], VIPPS_CUSTOMER, "the customer who scanned it")
        checkins = [d for d in self.vipps.deliveries if d.get("event") == "user.checked-in.v1"]
        self.assertTrue(any(d["status"] == 200 for d in checkins), "the check-in reached Odoo's webhook")

    def test_cashier_cancels(self):
        self._start("MobilePayEPaymentCancelTour")
        self.assertEqual(
            [p["state"] for p in self._vipps_payments()],
            ["TERMINATED", "TERMINATED"],
            "the Cancel button and the removed line both cancelled at Vipps MobilePay",
        )
        self.assertFalse(self._pos_payments(), "no MobilePay payment on the order")

    def test_refund(self):
        self._start("MobilePayEPaymentRefundTour")
        (payment,) = self._vipps_payments()
        self.assertEqual(payment["aggregate"]["refundedAmount"]["value"], 198)
        self.assertEqual(sorted(self._pos_payments().mapped("amount")), [-1.98, 1.98])

    def test_reload_mid_payment(self):
        # After the reload the order still validates itself once the payment is paid.
        self._validate_terminal_payments_automatically()
        self._start("MobilePayEPaymentReloadTour")
        self._assert_paid_once()

    def test_customer_phone_page_link_of_the_method_form(self):
        """The form's "Customer Phone Page" works before any payment: the route makes sure the emulator runs."""
        self.authenticate("pos_user", "pos_user")
        answer = self.url_open(f"{PHONE_ROUTE}/epayment", allow_redirects=False)
        self.assertIn(answer.status_code, (302, 303), answer.text)
        self.assertEqual(answer.headers["Location"], f"{self.vipps.base_url}/phone")
        self.assertEqual(self.url_open(f"{PHONE_ROUTE}/nothing", allow_redirects=False).status_code, 404)
