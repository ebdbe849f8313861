"""Recorded conversations (vcrpy cassettes) of the main ePayment flows, replayed as if from apitest.vipps.no.

By default the cassettes in ``cassettes/epayment/`` are only replayed (no network; the
answers are still checked against the saved specs). To record them again from the emulator::

    MOBILEPAY_RECORD=emulator bash tools/test.sh -k epayment_cassette

or from the Vipps MobilePay test environment, with a test sales unit's keys and a test user
who has approved one payment by hand (force approve needs that, API.md 7.7)::

    MOBILEPAY_RECORD=test VIPPS_TEST_CLIENT_ID=... VIPPS_TEST_CLIENT_SECRET=... \\
    VIPPS_TEST_SUBSCRIPTION_KEY=... VIPPS_TEST_MSN=... VIPPS_TEST_PHONE=47... bash tools/test.sh -k epayment_cassette

Secrets are scrubbed before anything reaches the disk: the key headers are dropped, the
access token and webhook secrets in answers replaced.
"""

import json
import os
import re
import uuid
from pathlib import Path

import pytest
import vcr

from mobilepay.epayment.auth import clear_token_cache
from mobilepay.epayment.client import EPaymentClient
from mobilepay.epayment.config import EPaymentConfig
from mobilepay.epayment.environments import TEST, by_name
from mobilepay.epayment.schemas import PAYMENT_WEBHOOK_EVENTS, EventName, State
from mobilepay.epayment.webhooks_client import WebhooksClient

CASSETTES = Path(__file__).parent / "cassettes"
MODE = os.environ.get("MOBILEPAY_RECORD", "")
RECORDING = MODE in ("emulator", "test")
SCRUBBED = "scrubbed"
KEY_HEADERS = ["authorization", "client_id", "client_secret", "ocp-apim-subscription-key"]


def _as_test_host(request):
    scheme, _, rest = request.uri.partition("://")
    request.uri = TEST.base + (rest[rest.index("/"):] if "/" in rest else "/")
    return request


LOCAL_BASE = re.compile(rb"http://(?:127\.0\.0\.1|localhost)(?::\d+)?")


def _scrub_answer(response):
    body = response.get("body", {}).get("string") or b""
    if isinstance(body, bytes) and LOCAL_BASE.search(body):
        # Links the emulator made to itself (the one-time QR image) read as the test host's.
        body = response["body"]["string"] = LOCAL_BASE.sub(TEST.base.encode(), body)
        response.get("headers", {})["Content-Length"] = [str(len(body))]
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return response
    if isinstance(data, dict) and ("access_token" in data or "secret" in data):
        for name in ("access_token", "secret"):
            if name in data:
                data[name] = SCRUBBED
        response["body"]["string"] = json.dumps(data).encode()
        response.get("headers", {})["Content-Length"] = [str(len(response["body"]["string"]))]
    for header in ("Set-Cookie", "Server", "Date"):
        response.get("headers", {}).pop(header, None)
    return response


recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=["method", "path", "query"],
    filter_headers=KEY_HEADERS,
    before_record_request=_as_test_host,
    before_record_response=_scrub_answer,
    decode_compressed_response=True,
)


@pytest.fixture
def setup(request, epayment_contract):
    """(config, customer phone) for the current mode; references are fixed so that replays match."""
    clear_token_cache()
    if MODE == "test":
        env = os.environ
        names = ("VIPPS_TEST_CLIENT_ID", "VIPPS_TEST_CLIENT_SECRET", "VIPPS_TEST_SUBSCRIPTION_KEY", "VIPPS_TEST_MSN",
                 "VIPPS_TEST_PHONE")
        missing = [name for name in names if not env.get(name)]
        if missing:
            pytest.fail("Recording from the test environment needs " + ", ".join(missing), pytrace=False)
        config = EPaymentConfig(hosts=TEST, client_id=env[names[0]], client_secret=env[names[1]],
                                subscription_key=env[names[2]], msn=env[names[3]])
        phone = env["VIPPS_TEST_PHONE"]
    elif MODE == "emulator":
        emu = request.getfixturevalue("epayment_emulator")
        config = EPaymentConfig(hosts=by_name("emulator", emu.base_url), client_id=emu.demo.client_id,
                                client_secret=emu.demo.client_secret, subscription_key=emu.demo.subscription_key,
                                msn=emu.demo.msn)
        phone = emu.demo.phone_numbers[0]
    else:
        config = EPaymentConfig(hosts=TEST, client_id="replay-client", client_secret="replay-secret",
                                subscription_key="replay-key", msn="123456")
        phone = "4512345678"
    return config, phone, epayment_contract


def _client(cls, config, contract):
    client = cls(config)
    client.session.hooks["response"].append(lambda response, **kw: contract.check(response))
    return client


def _cassette(name):
    if RECORDING:
        (CASSETTES / name).unlink(missing_ok=True)
    return recorder.use_cassette(name)


def _reference(tag):
    # New per recording (the test environment keeps references forever), fixed in the cassette's requests.
    return f"odoo-cassette-{tag}-{uuid.uuid4().hex[:12]}" if RECORDING else None


def _recorded_reference(cassette_name):
    """The reference a cassette was recorded with (replays must ask for the same paths)."""
    text = (CASSETTES / cassette_name).read_text(encoding="utf-8")
    found = re.search(r"/epayment/v1/payments/(odoo-cassette-[A-Za-z0-9-]+)", text)
    assert found, f"{cassette_name} holds no payment path"
    return found.group(1)


def _ref(tag, cassette_name):
    return _reference(tag) or _recorded_reference(cassette_name)


def test_epayment_cassette_push_payment_capture_refund(setup):
    config, phone, contract = setup
    name = "push_capture_refund.yaml"
    reference = _ref("pay", name)
    with _cassette(name) as cassette:
        client = _client(EPaymentClient, config, contract)
        client.create_push_payment(reference=reference, amount={"currency": "DKK", "value": 4200},
                                   idempotency_key=f"{reference}-create", phone_number=phone,
                                   description="Cassette till, receipt 1")
        client.force_approve(reference, phone_number=phone)
        assert client.get_payment(reference).state is State.AUTHORIZED
        captured = client.capture(reference, {"currency": "DKK", "value": 4200}, f"{reference}-capture")
        assert captured.aggregate.captured_amount.value == 4200
        refunded = client.refund(reference, {"currency": "DKK", "value": 1000}, f"{reference}-refund-1")
        assert refunded.aggregate.refunded_amount.value == 1000
        names = [event.name for event in client.get_events(reference)]
        assert names == [EventName.CREATED, EventName.AUTHORIZED, EventName.CAPTURED, EventName.REFUNDED]
    assert cassette.play_count == len(cassette) or RECORDING


def test_epayment_cassette_qr_payment_cancelled(setup):
    config, _phone, contract = setup
    name = "qr_cancel.yaml"
    reference = _ref("qr", name)
    with _cassette(name) as cassette:
        client = _client(EPaymentClient, config, contract)
        answer = client.create_qr_payment(reference=reference, amount={"currency": "DKK", "value": 1000},
                                          idempotency_key=f"{reference}-create")
        assert answer.redirect_url
        cancelled = client.cancel(reference, f"{reference}-cancel", transaction_only=True)
        assert cancelled.state is State.TERMINATED
    assert cassette.play_count == len(cassette) or RECORDING


def test_epayment_cassette_webhook_registration(setup):
    config, _phone, contract = setup
    with _cassette("webhooks.yaml") as cassette:
        hooks = _client(WebhooksClient, config, contract)
        registration = hooks.register("https://odoo.example.com/pos_mobilepay/vipps/webhook", PAYMENT_WEBHOOK_EVENTS)
        assert registration.id in [w.id for w in hooks.list().webhooks]
        hooks.delete(registration.id)
    assert cassette.play_count == len(cassette) or RECORDING


def test_epayment_cassettes_hold_no_secrets():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no ePayment cassette recorded"
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for header in KEY_HEADERS:
            assert f"{header}:" not in text, (path.name, header)
        assert "127.0.0.1" not in text and "localhost" not in text, path.name
        assert "bearer " not in text, path.name
        assert '"secret": "scrubbed"' in text or '"secret"' not in text, path.name
        assert '"access_token": "scrubbed"' in text or "accesstoken/get" not in text, path.name
