"""Set-up of the ePayment backend tests: the ePayment emulator started for the test class (real HTTP),
the main MobilePay method on the Vipps MobilePay ePayment API in demo mode, and a stand-in webhook
URL whose deliveries the tests replay to Odoo's endpoint (as a reverse proxy would pass them on)."""

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import Command

from ..mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings
from ..models import mobilepay_demo
from .common import MobilePayCommon


class _Deliveries(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((body, dict(self.headers.items())))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class EPaymentCommon(MobilePayCommon):
    mobilepay_values = {"mobilepay_api": "epayment", "vipps_environment": "demo"}

    @classmethod
    def setUpClass(cls):
        cls.vipps = EPaymentEmulator(EPaymentEmulatorSettings.for_tests()).start()
        cls.addClassCleanup(cls.vipps.stop)
        _Deliveries.received = []
        cls.proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Deliveries)
        threading.Thread(target=cls.proxy.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.proxy.server_close)
        cls.addClassCleanup(cls.proxy.shutdown)
        cls.proxy_url = f"http://127.0.0.1:{cls.proxy.server_port}"
        # Set before the session opens (a method cannot change while one is open).
        cls.mobilepay_values = dict(cls.mobilepay_values, vipps_public_url=cls.proxy_url)
        super().setUpClass()

    @classmethod
    def _configure_demo(cls):
        cls.env["ir.config_parameter"].sudo().set_param(mobilepay_demo.EPAYMENT_URL_PARAMETER, cls.vipps.base_url)

    def setUp(self):
        self.vipps.reset()  # before the registration is synced again (MobilePayCommon.setUp)
        _Deliveries.received.clear()
        super().setUp()

    def vipps_payment(self, transaction):
        return self.vipps.payment(transaction.provider_payment_id)

    def draft_order(self, lines, session=None):
        """The order as the POS saves it on the server before an ePayment payment starts (a draft):
        ``lines`` are (product, quantity, total incl. tax, tax amount, taxes)."""
        session = session or self.session
        total = sum(line[2] for line in lines)
        tax = sum(line[3] for line in lines)
        return self.env["pos.order"].sudo().create(
            {
                "uuid": str(uuid.uuid4()),
                "session_id": session.id,
                "company_id": session.config_id.company_id.id,
                "amount_total": total,
                "amount_tax": tax,
                "amount_paid": 0,
                "amount_return": 0,
                "lines": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "full_product_name": product.name,
                            "qty": quantity,
                            "price_unit": line_total / quantity,
                            "price_subtotal": line_total - line_tax,
                            "price_subtotal_incl": line_total,
                            "tax_ids": [Command.set(taxes.ids)] if taxes else [],
                        }
                    )
                    for product, quantity, line_total, line_tax, taxes in lines
                ],
            }
        )

    def new_product(self, name, age=0, **values):
        return self.env["product.product"].create(
            {"name": name, "available_in_pos": True, "taxes_id": False, "vipps_minimum_age": age, **values}
        )

    def register_webhooks(self, method=None):
        """The settings button, with the public URL pointing at the stand-in proxy; returns the method."""
        method = method or self.mobilepay
        result = method.action_vipps_register_webhooks()
        self.assertEqual(result["params"]["type"], "success", result["params"])
        return method

    def delivered(self, count=1, timeout=5.0):
        """The raw deliveries (body, headers) the emulator sent to the stand-in URL so far, waiting for ``count``."""
        deadline = time.monotonic() + timeout
        while len(_Deliveries.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertGreaterEqual(len(_Deliveries.received), count, "the emulator did not deliver")
        return list(_Deliveries.received)

    def forward(self, body, headers, method=None):
        """Post a delivery to Odoo's webhook endpoint as received (headers that matter included)."""
        method = method or self.mobilepay
        keep = {k: v for k, v in headers.items() if k.lower() in ("x-ms-date", "x-ms-content-sha256",
                                                                  "authorization", "content-type")}
        return self.opener.post(
            f"{self.base_url()}/pos_mobilepay/vipps/webhook/{method.id}", data=body, headers=keep, timeout=12
        )
