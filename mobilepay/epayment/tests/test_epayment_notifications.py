"""Signed webhooks end to end: the emulator delivers, the provider verifies and reads (ePayment API.md 10, 11.5)."""

import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mobilepay import errors
from mobilepay.epayment.auth import clear_token_cache
from mobilepay.epayment.provider import make_provider
from mobilepay.epayment.webhook_events import WebhookRejected
from mobilepay.provider import CheckinNotice, PaymentFlow, PaymentNotice, PaymentRequest, PaymentState, PosSpec


class Receiver:
    """A tiny webhook endpoint that keeps every raw delivery (body bytes and headers)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((body, dict(self.headers.items())))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/pos_mobilepay/vipps/webhook?db=shop"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def provider(epayment_emulator):
    clear_token_cache()
    emu = epayment_emulator
    return make_provider("emulator", client_id=emu.demo.client_id, client_secret=emu.demo.client_secret,
                         subscription_key=emu.demo.subscription_key, msn=emu.demo.msn, base_url=emu.base_url)


def test_payment_events_arrive_signed_and_read_as_notices(provider, receiver, epayment_emulator):
    registration = provider.register_webhooks(receiver.url)
    secrets = {receiver.url: registration.secret}
    reference = str(uuid.uuid4())
    provider.create_payment(PaymentRequest(order_id=reference, reference=reference, amount=Decimal("42.00"),
                                           currency="DKK", idempotency_key=str(uuid.uuid4())))
    epayment_emulator.approve(reference)
    epayment_emulator.wait_for_deliveries(2)
    notices = [provider.read_notification(body, headers, secrets) for body, headers in receiver.received]
    assert [(n.payment_id, n.event, n.success) for n in notices] == [
        (reference, "CREATED", True), (reference, "AUTHORIZED", True)]
    assert all(isinstance(n, PaymentNotice) for n in notices)
    body, headers = receiver.received[-1]
    with pytest.raises(WebhookRejected):
        provider.read_notification(body.replace(b"AUTHORIZED", b"CAPTURED!!"), headers, secrets)
    with pytest.raises(WebhookRejected):
        provider.read_notification(body, headers, {receiver.url: "another registration's secret"})


def test_sticker_checkin_to_payment(provider, receiver, epayment_emulator):
    registration = provider.register_webhooks(receiver.url)
    till = provider.ensure_pos(PosSpec(merchant_pos_id="shop-1-till-1", name="Kasse 1", store_id=""), "k")
    assert till.qr_image_url and till.qr_payload
    token = epayment_emulator.scan_callback_qr(till.pos_id)
    epayment_emulator.wait_for_deliveries(1)
    notice = provider.read_notification(*receiver.received[0], {receiver.url: registration.secret})
    assert isinstance(notice, CheckinNotice)
    msn = epayment_emulator.demo.msn
    assert (notice.pos_id, notice.customer_token, notice.merchant_id) == (till.pos_id, token, msn)
    reference = str(uuid.uuid4())
    provider.create_payment(PaymentRequest(order_id=reference, reference=reference, amount=Decimal("10.00"),
                                           currency="DKK", idempotency_key=str(uuid.uuid4()),
                                           flow=PaymentFlow.STICKER, customer=notice.customer_token))
    assert provider.get_payment(reference).state is PaymentState.WAITING_FOR_APPROVAL
    epayment_emulator.approve(reference)
    assert provider.get_payment(reference).state is PaymentState.RESERVED


def test_a_v10_sticker_keeps_working(provider, receiver, epayment_emulator):
    provider.register_webhooks(receiver.url)
    beacon = "cfb480c3-1286-46c4-ac51-102d20ba0abf"
    till = provider.ensure_pos(PosSpec(merchant_pos_id="shop-1-till-2", name="Old till", store_id="",
                                       beacon_id=beacon, migrate_v10_beacon=True), "k")
    assert till.pos_id == beacon and till.created
    epayment_emulator.scan_callback_qr(beacon)
    epayment_emulator.wait_for_deliveries(1)
    assert json.loads(receiver.received[0][0])["merchantQrId"] == beacon


def test_phone_and_personal_qr_flows_through_the_provider(provider, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    for flow, customer in ((PaymentFlow.PHONE_NUMBER, "+45 " + phone[2:]),
                           (PaymentFlow.PERSONAL_QR, epayment_emulator.demo.personal_qrs[phone])):
        reference = str(uuid.uuid4())
        provider.create_payment(PaymentRequest(order_id=reference, reference=reference, amount=Decimal("5.00"),
                                               currency="DKK", idempotency_key=str(uuid.uuid4()), flow=flow,
                                               customer=customer, minimum_user_age=18))
        assert epayment_emulator.payment(reference)["state"] == "CREATED"
        epayment_emulator.approve(reference)
        assert provider.get_payment(reference).state is PaymentState.RESERVED


def test_an_under_age_customer_cannot_pay(provider, epayment_emulator):
    young = next(c for c in epayment_emulator.demo.customers if c.age < 18)
    reference = str(uuid.uuid4())
    with pytest.raises(errors.MobilePayApiError) as caught:
        provider.create_payment(PaymentRequest(order_id=reference, reference=reference, amount=Decimal("5.00"),
                                               currency="DKK", idempotency_key=str(uuid.uuid4()),
                                               flow=PaymentFlow.PHONE_NUMBER, customer=young.phone_number,
                                               minimum_user_age=18))
    assert caught.value.code == "7010" and not errors.outcome_unknown(caught.value)
