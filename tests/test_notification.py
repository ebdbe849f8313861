import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import tagged

from ..models.pos_mobilepay_transaction import utcnow
from .common import MobilePayCommon

URL = "/pos_mobilepay/notification"


class _Capture(BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestMobilePayNotification(MobilePayCommon):
    def _body(self, **overrides):
        body = {
            "MerchantId": "622d3369-f940-4921-93eb-c8fca0c081b4",
            "MerchantBrandId": "MPPOSCERT1",
            "MerchantLocationId": "00001",
            "MerchantPosId": self.registration.merchant_pos_id,
            "PosId": self.registration.pos_id,
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not None}

    def _post(self, data, content_type="application/json"):
        if not isinstance(data, (bytes, str)):
            data = json.dumps(data)
        # Not url_open: it turns a POST with an empty body into a GET.
        return self.opener.post(self.base_url() + URL, data=data, headers={"Content-Type": content_type}, timeout=12)

    def test_checkin_is_pushed_to_the_register(self):
        answer = self.start_payment(12.0)
        response = self._post(self._body())
        self.assertEqual(response.status_code, 200)
        checkins = self.pushes(name="MOBILEPAY_CHECKIN")
        self.assertEqual(checkins[-1], {"config_id": self.config.id, "beacon_id": self.registration.beacon_id})
        # The poller was woken up for the running payment.
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("pos_mobilepay.ir_cron_mobilepay_poll").id)]
        )
        self.assertTrue(trigger)
        self.assertTrue(answer["reference"])

    def test_unknown_or_mismatched_pos_is_acknowledged_but_ignored(self):
        for body in (
            self._body(PosId="0b0b7f0e-6c1d-4a53-9d3e-5d1f7b0c9a11"),
            self._body(MerchantPosId="odoo-someone-else-c1-m1"),
            self._body(MerchantBrandId="MPPOS99999"),
        ):
            response = self._post(body)
            self.assertEqual(response.status_code, 200, body)
        self.assertFalse(self.pushes(name="MOBILEPAY_CHECKIN"))

    def test_garbage_gets_400_never_500(self):
        garbage = [
            b"",
            b"not json at all",
            b"\xff\xfe\x00garbage",
            b"[1, 2, 3]",
            b'"a string"',
            b"42",
            b"null",
            json.dumps({"PosId": self.registration.pos_id}),
            json.dumps(self._body(PosId=12345)),
            json.dumps(self._body(MerchantPosId=["a"])),
            json.dumps(self._body(PosId="not-a-guid")),
            json.dumps(self._body(MerchantPosId="x" * 100)),
            json.dumps(self._body(MerchantId={"nested": True})),
            json.dumps(self._body(MerchantPosId="tab\tinside")),
            b"[" * 8000,
        ]
        for data in garbage:
            response = self._post(data)
            self.assertEqual(response.status_code, 400, data[:60])
        # Over the size limit: refused before the body is read (413), or once read (400).
        for data in (b"[" * 100000, json.dumps({**self._body(), "Padding": "x" * 200000})):
            self.assertIn(self._post(data).status_code, (400, 413), data[:60])
        self.assertEqual(self._post(self._body(), content_type="text/plain").status_code, 200)
        self.assertFalse(self.url_open(URL).ok)  # GET is not a notification

    def test_a_chunked_body_over_the_limit_is_refused_unread(self):
        """No Content-Length to check up front: the answer comes before the body is over.

        2 MiB of a chunked body are sent, and the refusal must already be there: the
        controller read no more than its limit. (What happens to the rest is the HTTP
        server's business: Werkzeug 3, Odoo 19's, reads and discards it so that the
        client sees the answer; it is never held in memory.) Over a raw socket, so that
        nothing but the server decides when the answer comes.
        """
        port = int(self.base_url().rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            piece = b"10000\r\n" + b"x" * 65536 + b"\r\n"
            try:
                for _ in range(32):  # 2 MiB, and the body is not over
                    sock.sendall(piece)
            except OSError:
                pass  # answered and closed while the body was still on its way
            readable, _w, _x = select.select([sock], [], [], 20)
            self.assertTrue(readable, "no answer before the end of the body: the server waits to read it all")
            answer = sock.recv(200)
        self.assertRegex(answer, rb"^HTTP/1\.[01] (400|413) ")
        headers = {"Content-Type": "application/json"}
        small = json.dumps(self._body()).encode()
        response = self.opener.post(self.base_url() + URL, data=iter([small]), headers=headers, timeout=12)
        self.assertEqual(response.status_code, 200)

    def test_the_emulators_real_notification_is_accepted(self):
        """Check in on a PoS with a callback alias: the emulator's own body, replayed to Odoo, is accepted."""
        url = self._capture_server()
        method = self._new_mobilepay_method("MobilePay CB", self.company_data, mobilepay_callback_alias="odoo-test")
        config = self._new_config("Callback Shop", method)
        self.env["pos.mobilepay.registration"]._mobilepay_sync_config(config)
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", config.id)])
        self.assertEqual(registration.state, "registered")
        self.emulator.register_callback("odoo-test", url)

        self.customer.simulate_checkin(registration.beacon_id, "+4520031802")
        deadline = time.monotonic() + 5
        while not _Capture.bodies and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(_Capture.bodies, "the emulator sent no notification")
        body = json.loads(_Capture.bodies[0])
        self.assertEqual(body["PosId"], registration.pos_id)
        self.assertEqual(body["MerchantPosId"], registration.merchant_pos_id)

        response = self._post(_Capture.bodies[0])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.pushes(config, name="MOBILEPAY_CHECKIN")[-1]["config_id"], config.id)
        self.assertFalse(self.pushes(name="MOBILEPAY_CHECKIN"))

    def _capture_server(self):
        """An HTTP server standing in for a notification URL; returns its URL (bodies in _Capture.bodies)."""
        _Capture.bodies = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return f"http://127.0.0.1:{server.server_port}/cb"

    def test_with_checkin_notifications_a_waiting_payment_is_polled_when_the_customer_checks_in(self):
        method = self._new_mobilepay_method("MobilePay Callbacks", self.company_data, mobilepay_callback_alias="cb2")
        config = self._new_config("Callback Shop 2", method)
        session = self._open_session(config)
        registration = self.env["pos.mobilepay.registration"].search([("config_id", "=", config.id)])
        # The emulator's own notifications go elsewhere: this test posts the one Odoo gets itself.
        self.emulator.register_callback("cb2", self._capture_server())
        answer = self.start_payment(14.0, method=method, session=session)
        transaction = self.transaction(answer["reference"])
        self.assertFalse(transaction._mobilepay_is_due(), "MobilePay will say when the customer checks in")
        self.assertGreaterEqual((transaction.next_poll_at - utcnow()).total_seconds(), 4)
        response = self._post(self._body(PosId=registration.pos_id, MerchantPosId=registration.merchant_pos_id))
        self.assertEqual(response.status_code, 200)
        registration.invalidate_recordset()
        self.assertTrue(registration.checkin_notified_at)
        self.assertTrue(transaction._mobilepay_is_due(), "due at once")
        transaction._mobilepay_process()  # a poll: the notification came, but nobody is paired yet
        self.assertEqual(transaction.state, "waiting_for_customer")
        self.assertFalse(transaction._mobilepay_is_due(), "pollDelayInMs is honoured")
        time.sleep(0.06)
        self.assertTrue(transaction._mobilepay_is_due(), "polled at pollDelayInMs while the check-in is pending")
        self.customer_pays(answer["beacon_id"])
        self.drive(transaction, "captured")
        self.assertGreaterEqual(transaction.paired_at, registration.checkin_notified_at)
        # The check-in is used up: the next payment of this PoS waits for its own.
        following = self.transaction(self.start_payment(15.0, method=method, session=session)["reference"])
        time.sleep(0.06)
        self.assertFalse(following._mobilepay_is_due())
        following._mobilepay_process()
        self.assertFalse(following.last_poll_at, "not polled before its check-in")
        # Without a callback alias, a waiting payment is polled at pollDelayInMs.
        plain = self.transaction(self.start_payment(16.0)["reference"])
        plain._mobilepay_process()
        self.assertAlmostEqual((plain.next_poll_at - plain.last_poll_at).total_seconds(), 0.05, places=2)
