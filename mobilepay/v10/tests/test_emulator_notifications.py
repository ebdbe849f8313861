"""The check-in notification sent to the integrator (API.md section 13)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """A local HTTP endpoint answering with the given statuses in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), json.loads(body)))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mobilepay/checkin"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait_for(self, count, timeout=2.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _wait_finished(emulator, count=1, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = emulator.notifications
        if len(sent) >= count and all(n.finished for n in sent):
            return sent
        time.sleep(0.01)
    raise AssertionError("notifications did not finish")


def test_checkin_notifies_the_registered_url(api, emulator, receiver):
    endpoint = receiver()
    emulator.register_callback("odoo-shop", endpoint.url)
    pos_id = api.create_pos(merchantPosId="till-7", callbackAlias="odoo-shop")
    api.checkin(api.beacon(pos_id))
    path, headers, body = endpoint.wait_for(1)[0]
    assert path == "/mobilepay/checkin"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "MerchantId": body["MerchantId"],
        "MerchantBrandId": "MPPOSCERT1",
        "MerchantLocationId": "00001",
        "MerchantPosId": "till-7",
        "PosId": pos_id,
    }
    assert len(body["MerchantId"]) == 36
    assert _wait_finished(emulator)[0].attempts == [200]
    # The receiver then polls the check-in.
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["isUserCheckedIn"] is True


def test_non_200_answers_are_retried_three_times(api, emulator, receiver):
    endpoint = receiver([500, 503, 204, 404, 500])
    emulator.register_callback("flaky", endpoint.url)
    pos_id = api.create_pos(callbackAlias="flaky")
    api.checkin(api.beacon(pos_id))
    endpoint.wait_for(4)
    notification = _wait_finished(emulator)[0]
    assert notification.attempts == [500, 503, 204, 404]
    assert notification.delivered is False
    time.sleep(0.15)
    assert len(endpoint.received) == 4  # 1 attempt + 3 retries, no more


def test_retry_until_delivered(api, emulator, receiver):
    endpoint = receiver([500])
    emulator.register_callback("flaky", endpoint.url)
    pos_id = api.create_pos(callbackAlias="flaky")
    api.checkin(api.beacon(pos_id))
    endpoint.wait_for(2)
    notification = _wait_finished(emulator)[0]
    assert notification.attempts == [500, 200] and notification.delivered


def test_unreachable_receiver_is_retried(api, emulator, receiver):
    endpoint = receiver()
    url = endpoint.url
    endpoint.close()
    emulator.register_callback("gone", url)
    pos_id = api.create_pos(callbackAlias="gone")
    api.checkin(api.beacon(pos_id))
    notification = _wait_finished(emulator)[0]
    assert len(notification.attempts) == 4
    assert all(str(a).startswith("error") for a in notification.attempts)


def test_no_notification_without_alias_or_registration(api, emulator, receiver):
    endpoint = receiver()
    emulator.register_callback("odoo-shop", endpoint.url)
    api.checkin(api.beacon(api.create_pos()))  # PoS without callbackAlias
    api.checkin(api.beacon(api.create_pos(callbackAlias="unregistered")))
    sent = _wait_finished(emulator)
    assert [(n.alias, n.url, n.attempts) for n in sent] == [("unregistered", None, [])]
    time.sleep(0.05)
    assert endpoint.received == []


def test_every_checkin_notifies_even_when_it_pairs_at_once(api, emulator, receiver):
    endpoint = receiver()
    emulator.register_callback("odoo-shop", endpoint.url)
    pos_id = api.create_pos(callbackAlias="odoo-shop")
    beacon = api.beacon(pos_id)
    payment_id = api.initiate(pos_id)
    api.checkin(beacon)
    api.checkin(beacon, "+4520031803")
    assert len(endpoint.wait_for(2)) == 2
    assert api.status(payment_id) == "IssuedToUser"


def test_callbacks_from_settings_survive_reset(emulator, receiver):
    from mobilepay.v10.emulator import Emulator, EmulatorSettings

    endpoint = receiver()
    emu = Emulator(EmulatorSettings(callbacks={"odoo": endpoint.url}))
    emu.register_callback("runtime", endpoint.url)
    emu.reset()
    assert emu.notifier.url_for("odoo") == endpoint.url
    assert emu.notifier.url_for("runtime") is None
