"""Recorded HTTP conversations (vcrpy cassettes) of the main flows, replayed against sandbox URLs.

By default the cassettes in ``cassettes/`` are only replayed: no network at all, and
the replayed answers are still checked against pos.yaml. To record them again:

* from the emulator (what is committed)::

      MOBILEPAY_RECORD=emulator bash tools/test.sh -k cassette

* from a real MobilePay sandbox, when credentials are available::

      MOBILEPAY_RECORD=sandbox MOBILEPAY_SANDBOX_CLIENT_ID=... MOBILEPAY_SANDBOX_CLIENT_SECRET=... \\
      MOBILEPAY_SANDBOX_MERCHANT_VAT=DK... MOBILEPAY_SANDBOX_BRAND_ID=MPPOS... \\
      MOBILEPAY_SANDBOX_LOCATION_ID=00001 bash tools/test.sh -k cassette

Whatever the source, cassettes are written as if the sandbox had answered, and
secrets are scrubbed before anything reaches the disk: the Authorization and
X-IBM-Client-Id headers are dropped and access tokens in answers are replaced.
"""

import json
import os
from pathlib import Path

import pytest
import vcr

from mobilepay.v10.auth import clear_token_cache
from mobilepay.v10.client import ClientConfig, MobilePayPosClient, new_idempotency_key
from mobilepay.v10.environments import SANDBOX
from mobilepay.v10.environments import emulator as emulator_endpoints
from mobilepay.v10.schemas import PaymentStatus, RefundStatus

CASSETTES = Path(__file__).parent / "cassettes"
MODE = os.environ.get("MOBILEPAY_RECORD", "")
CUSTOMER = "+4520031801"
SCRUBBED = "scrubbed"
SANDBOX_HOST = "https://api.sandbox.mobilepay.dk"


def _as_sandbox(request):
    """Rewrite where a recorded request went, so cassettes never hold a local address."""
    scheme, _, rest = request.uri.partition("://")
    path = rest[rest.index("/"):] if "/" in rest else "/"
    request.uri = SANDBOX_HOST + path
    return request


def _scrub_answer(response):
    body = response.get("body", {}).get("string") or b""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return response
    if isinstance(data, dict) and "access_token" in data:
        data["access_token"] = SCRUBBED
        response["body"]["string"] = json.dumps(data).encode()
        response.get("headers", {})["Content-Length"] = [str(len(response["body"]["string"]))]
    for header in ("Set-Cookie", "Server"):
        response.get("headers", {}).pop(header, None)
    return response


recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if MODE in ("emulator", "sandbox") else "none",
    match_on=["method", "path", "query"],
    filter_headers=["authorization", "x-ibm-client-id"],
    before_record_request=_as_sandbox,
    before_record_response=_scrub_answer,
    decode_compressed_response=True,
)


@pytest.fixture
def setup(request, contract):
    """(client, store_id, beacon setup) for the current mode."""
    clear_token_cache()
    if MODE == "sandbox":
        env = os.environ
        missing = [
            name
            for name in (
                "MOBILEPAY_SANDBOX_CLIENT_ID",
                "MOBILEPAY_SANDBOX_CLIENT_SECRET",
                "MOBILEPAY_SANDBOX_MERCHANT_VAT",
                "MOBILEPAY_SANDBOX_BRAND_ID",
                "MOBILEPAY_SANDBOX_LOCATION_ID",
            )
            if not env.get(name)
        ]
        if missing:
            pytest.fail("Recording from the sandbox needs " + ", ".join(missing), pytrace=False)
        config = ClientConfig(
            endpoints=SANDBOX,
            client_id=env["MOBILEPAY_SANDBOX_CLIENT_ID"],
            client_secret=env["MOBILEPAY_SANDBOX_CLIENT_SECRET"],
            merchant_vat=env["MOBILEPAY_SANDBOX_MERCHANT_VAT"],
        )
        store = (env["MOBILEPAY_SANDBOX_BRAND_ID"], env["MOBILEPAY_SANDBOX_LOCATION_ID"])
    elif MODE == "emulator":
        emu = request.getfixturevalue("emulator")
        config = ClientConfig(
            endpoints=emulator_endpoints(emu.base_url),
            client_id=emu.demo.client_id,
            client_secret=emu.demo.client_secret,
            merchant_vat=emu.demo.merchant_vat,
        )
        store = (emu.demo.merchant_brand_id, emu.demo.merchant_location_id)
    else:
        # Replay: the client believes it talks to the sandbox; vcrpy answers from the cassette.
        config = ClientConfig(
            endpoints=SANDBOX, client_id="replay-client", client_secret="replay-secret", merchant_vat="DK90000028"
        )
        store = ("MPPOSCERT1", "00001")
    client = MobilePayPosClient(config)
    client.session.hooks["response"].append(lambda response, **kw: contract.check(response))
    return client, store


def _cassette(name):
    """The cassette ``name``: replayed, or recorded afresh (never appended to) in a record mode."""
    if MODE:
        (CASSETTES / name).unlink(missing_ok=True)
    return recorder.use_cassette(name)


def _register(client, store, merchant_pos_id):
    store_id = client.find_store_id(*store)
    for pos_id in client.find_pos_ids(merchant_pos_id=merchant_pos_id):
        client.delete_pos(pos_id)
    pos_id = client.create_pos(
        merchant_pos_id=merchant_pos_id,
        store_id=store_id,
        name="Cassette register",
        idempotency_key=new_idempotency_key(),
    )
    return client.get_pos(pos_id)


def _pay(client, pos, amount):
    payment_id = client.initiate_payment(
        pos_id=pos.pos_id, order_id="Cassette-1", amount=amount, currency_code="DKK",
        idempotency_key=new_idempotency_key(),
    )
    client.simulate_checkin(pos.beacon_id, CUSTOMER)
    client.simulate_accept_payment(pos.beacon_id, CUSTOMER)
    payment = client.get_payment(payment_id)
    while payment.status is not PaymentStatus.RESERVED and not payment.status.is_final:
        payment = client.get_payment(payment_id)
    return payment


def test_cassette_payment_capture(setup):
    client, store = setup
    with _cassette("payment_capture.yaml") as cassette:
        pos = _register(client, store, "cassette-pos-1")
        payment = _pay(client, pos, "42.00")
        assert payment.status is PaymentStatus.RESERVED
        client.capture_payment(payment.payment_id, payment.amount)
        assert client.get_payment(payment.payment_id).status is PaymentStatus.CAPTURED
        client.delete_pos(pos.pos_id)
    assert cassette.play_count == len(cassette) or MODE


def test_cassette_refund(setup):
    client, store = setup
    with _cassette("refund.yaml") as cassette:
        pos = _register(client, store, "cassette-pos-2")
        payment = _pay(client, pos, "80.00")
        client.capture_payment(payment.payment_id, payment.amount)
        refund_id = client.create_refund(
            payment_id=payment.payment_id, refund_order_id="Cassette-R1", amount="30.00", currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        refund = client.get_refund(refund_id)
        while refund.status is RefundStatus.INITIATED:
            refund = client.get_refund(refund_id)
        client.capture_refund(refund_id)
        assert client.get_refund(refund_id).status is RefundStatus.CAPTURED
        client.delete_pos(pos.pos_id)
    assert cassette.play_count == len(cassette) or MODE


def test_cassette_cancel(setup):
    client, store = setup
    with _cassette("cancel.yaml") as cassette:
        pos = _register(client, store, "cassette-pos-3")
        payment_id = client.initiate_payment(
            pos_id=pos.pos_id, order_id="Cassette-C", amount="10.00", currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        client.cancel_payment(payment_id)
        assert client.get_payment(payment_id).status is PaymentStatus.CANCELLED_BY_CLIENT
        client.delete_pos(pos.pos_id)
    assert cassette.play_count == len(cassette) or MODE


def test_cassettes_hold_no_secrets():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no cassette recorded"
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        assert "authorization" not in text, path.name
        assert "x-ibm-client-id" not in text, path.name
        assert "emulator-demo-secret" not in text, path.name
        assert "127.0.0.1" not in text and "localhost" not in text, path.name
        assert '"access_token": "scrubbed"' in text or "connect/token" not in text, path.name
