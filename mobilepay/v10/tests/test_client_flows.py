"""The client over real HTTP against the emulator: every flow of API.md, checked against pos.yaml."""

from decimal import Decimal

import pytest
import requests

from mobilepay import errors
from mobilepay.v10 import errors as v10_errors
from mobilepay.v10.auth import clear_token_cache
from mobilepay.v10.client import ClientConfig, MobilePayPosClient, new_idempotency_key
from mobilepay.v10.environments import emulator as emulator_endpoints
from mobilepay.v10.schemas import PaymentStatus, RefundStatus

CARD_USER = "+4520031801"
PARTIAL_CAPTURE_USER = "+4520031805"


@pytest.fixture
def client(emulator, contract):
    clear_token_cache()
    config = ClientConfig(
        endpoints=emulator_endpoints(emulator.base_url),
        client_id=emulator.demo.client_id,
        client_secret=emulator.demo.client_secret,
        merchant_vat=emulator.demo.merchant_vat,
        backoff_factor=0.01,
    )
    c = MobilePayPosClient(config)
    # Every request the client sends and every answer it gets is checked against pos.yaml.
    c.session.hooks["response"].append(lambda response, **kw: contract.check(response))
    return c


@pytest.fixture
def pos(client, emulator):
    pos_id = client.create_pos(
        merchant_pos_id=f"test-{new_idempotency_key()[:8]}",
        store_id=emulator.demo.store_id,
        name="Check-out 1",
        idempotency_key=new_idempotency_key(),
    )
    return client.get_pos(pos_id)


def pay(client, pos, amount="12.50", order_id="Order-1"):
    return client.initiate_payment(
        pos_id=pos.pos_id, order_id=order_id, amount=amount, currency_code="DKK", idempotency_key=new_idempotency_key()
    )


def test_token_is_cached_and_discovery_answers(client, emulator):
    first = client.get_access_token()
    assert client.get_access_token() == first
    document = client.discovery()
    assert document["token_endpoint"].endswith("/connect/token")
    assert "client_credentials" in document["grant_types_supported"]


def test_store_lookup(client, emulator):
    assert emulator.demo.store_id in client.list_store_ids()
    store_id = client.find_store_id(emulator.demo.merchant_brand_id, emulator.demo.merchant_location_id)
    assert store_id == emulator.demo.store_id
    store = client.get_store(store_id)
    assert store.merchant_brand_id == emulator.demo.merchant_brand_id
    detailed = client.list_stores_detailed(emulator.demo.merchant_brand_id, emulator.demo.merchant_location_id)
    assert [s.store_id for s in detailed] == [store_id]
    assert client.find_store_id("MPPOS99999", "99999") is None


def test_pos_lifecycle(client, emulator):
    key = new_idempotency_key()
    pos_id = client.create_pos(
        merchant_pos_id="odoo-pos-config-7", store_id=emulator.demo.store_id, name="Kasse 1", idempotency_key=key
    )
    pos = client.get_pos(pos_id)
    assert pos.name == "Kasse 1" and len(pos.beacon_id) == 36  # MobilePay generated a GUID beacon
    assert client.find_pos_ids(merchant_pos_id="odoo-pos-config-7") == [pos_id]
    assert client.find_pos_ids(beacon_id=pos.beacon_id) == [pos_id]
    # Same key and body: the same PoS comes back, nothing is created twice.
    again = client.create_pos(
        merchant_pos_id="odoo-pos-config-7", store_id=emulator.demo.store_id, name="Kasse 1", idempotency_key=key
    )
    assert again == pos_id
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.create_pos(
            merchant_pos_id="odoo-pos-config-7",
            store_id=emulator.demo.store_id,
            name="Kasse 1",
            idempotency_key=new_idempotency_key(),
        )
    assert caught.value.code == v10_errors.POS_ALREADY_EXISTS
    client.delete_pos(pos_id)
    client.delete_pos(pos_id)  # already gone counts as done
    with pytest.raises(errors.MobilePayNotFound):
        client.delete_pos(pos_id, missing_ok=False)
    assert client.find_pos_ids(merchant_pos_id="odoo-pos-config-7") == []


def test_pos_with_a_fifteen_digit_beacon(client, emulator):
    pos_id = client.create_pos(
        merchant_pos_id="white-box-1",
        store_id=emulator.demo.store_id,
        name="Box",
        beacon_id="123456789012345",
        supported_beacon_types=["QR", "NFC"],
        idempotency_key=new_idempotency_key(),
    )
    assert client.get_pos(pos_id).beacon_id == "123456789012345"
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.create_pos(
            merchant_pos_id="white-box-2",
            store_id=emulator.demo.store_id,
            name="Box 2",
            beacon_id="123456789012345",
            idempotency_key=new_idempotency_key(),
        )
    assert caught.value.code == v10_errors.BEACON_ALREADY_USED


def test_payment_flow_checkin_first(client, pos):
    assert client.get_checkin(pos.pos_id).is_user_checked_in is False
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    assert client.get_checkin(pos.pos_id).is_user_checked_in is True
    payment_id = pay(client, pos)
    assert client.get_payment(payment_id).status is PaymentStatus.ISSUED_TO_USER
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    payment = client.get_payment(payment_id)
    assert payment.status is PaymentStatus.RESERVED
    assert payment.partial_capture_possible is False
    assert payment.amount == Decimal("12.5")
    client.capture_payment(payment_id, "12.50")
    client.capture_payment(payment_id, "12.50")  # the same capture again is harmless
    captured = client.get_payment(payment_id)
    assert captured.status is PaymentStatus.CAPTURED and captured.partial_capture_possible is None
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.capture_payment(payment_id, "10.00")
    assert caught.value.code == v10_errors.CAPTURED_WITH_OTHER_AMOUNT
    assert client.find_payment_ids(order_id="Order-1", captured=True) == [payment_id]


def test_payment_flow_payment_first(client, pos):
    payment_id = pay(client, pos)
    assert client.get_payment(payment_id).status is PaymentStatus.INITIATED
    assert client.find_payment_ids(pos_id=pos.pos_id) == [payment_id]
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    assert client.get_payment(payment_id).status is PaymentStatus.ISSUED_TO_USER
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    assert client.get_payment(payment_id).status is PaymentStatus.RESERVED


def test_prepared_payment(client, pos):
    payment_id = client.prepare_payment(pos_id=pos.pos_id, order_id="Order-P", idempotency_key=new_idempotency_key())
    prepared = client.get_payment(payment_id)
    assert prepared.status is PaymentStatus.PREPARED and prepared.amount is None
    client.simulate_checkin(pos.beacon_id, "+4520031804")
    paired = client.get_payment(payment_id)
    assert paired.status is PaymentStatus.PAIRED
    client.payment_ready(payment_id, amount="99.95", currency_code="DKK", merchant_payment_label="Loyalty")
    issued = client.get_payment(payment_id)
    assert issued.status is PaymentStatus.ISSUED_TO_USER and issued.amount == Decimal("99.95")
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.payment_ready(payment_id, amount="99.95", currency_code="DKK")
    assert caught.value.code == "1303"
    client.simulate_accept_payment(pos.beacon_id, "+4520031804")
    client.capture_payment(payment_id, "99.95")
    assert client.get_payment(payment_id).status is PaymentStatus.CAPTURED


def test_prepared_payment_ready_before_anyone_paired(client, pos):
    payment_id = client.prepare_payment(pos_id=pos.pos_id, order_id="Order-Q", idempotency_key=new_idempotency_key())
    client.payment_ready(payment_id, amount=5, currency_code="EUR")
    assert client.get_payment(payment_id).status is PaymentStatus.INITIATED


def test_partial_capture(client, pos):
    payment_id = pay(client, pos, amount="100.00")
    client.simulate_checkin(pos.beacon_id, PARTIAL_CAPTURE_USER)
    client.simulate_accept_payment(pos.beacon_id, PARTIAL_CAPTURE_USER)
    assert client.get_payment(payment_id).partial_capture_possible is True
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.capture_payment(payment_id, "100.01")
    assert caught.value.code == "1305"
    client.capture_payment(payment_id, "60.00")
    assert client.get_payment(payment_id).status is PaymentStatus.CAPTURED


def test_partial_capture_refused_for_cards_that_cannot(client, pos):
    payment_id = pay(client, pos, amount="100.00")
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.capture_payment(payment_id, "60.00")
    assert caught.value.code == v10_errors.PARTIAL_CAPTURE_NOT_POSSIBLE


def test_cancel_by_client_user_and_mobilepay(client, pos, emulator):
    by_client = pay(client, pos, order_id="A")
    client.cancel_payment(by_client)
    client.cancel_payment(by_client)  # repeated cancel is safe
    assert client.get_payment(by_client).status is PaymentStatus.CANCELLED_BY_CLIENT

    by_user = pay(client, pos, order_id="B")
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_cancel_payment_by_user(pos.beacon_id)
    assert client.get_payment(by_user).status is PaymentStatus.CANCELLED_BY_USER

    by_mobilepay = pay(client, pos, order_id="C")
    emulator.cancel_by_mobilepay(by_mobilepay)
    assert client.get_payment(by_mobilepay).status is PaymentStatus.CANCELLED_BY_MOBILEPAY
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.cancel_payment(by_mobilepay)
    assert caught.value.code == v10_errors.CANNOT_CANCEL


def test_reservation_expires(client, pos, emulator):
    payment_id = pay(client, pos)
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    emulator.advance_clock(7 * 24 * 3600 + 1)
    assert client.get_payment(payment_id).status is PaymentStatus.EXPIRED_AND_CANCELLED
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.capture_payment(payment_id, "12.50")
    assert caught.value.code == v10_errors.NOT_RESERVED


def test_one_active_payment_and_1301_recovery(client, pos):
    lost = pay(client, pos, order_id="Order-lost")
    with pytest.raises(errors.MobilePayConflict) as caught:
        pay(client, pos, order_id="Order-new")
    assert caught.value.code == v10_errors.PAYMENT_ALREADY_ACTIVE
    assert caught.value.correlation_id
    # API.md 11.1: find the active payment, cancel it, initiate again.
    assert client.find_payment_ids(pos_id=pos.pos_id) == [lost]
    client.cancel_payment(lost)
    fresh = pay(client, pos, order_id="Order-new")
    assert client.get_payment(fresh).status is PaymentStatus.INITIATED


def test_reserved_payment_does_not_block_the_pos(client, pos):
    first = pay(client, pos, order_id="One")
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    assert client.get_payment(first).status is PaymentStatus.RESERVED
    second = pay(client, pos, order_id="Two")
    assert client.get_payment(second).status is PaymentStatus.INITIATED


def test_refunds_partial_several_and_over_refund(client, pos):
    payment_id = pay(client, pos, amount="100.00")
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    client.capture_payment(payment_id, "100.00")

    def refund(amount, order):
        refund_id = client.create_refund(
            payment_id=payment_id,
            refund_order_id=order,
            amount=amount,
            currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
        for _ in range(50):
            if client.get_refund(refund_id).status is RefundStatus.RESERVED:
                break
        client.capture_refund(refund_id)
        return refund_id

    first = refund("30.00", "R-1")
    second = refund("70.00", "R-2")
    assert client.get_refund(first).status is RefundStatus.CAPTURED
    assert client.get_refund(second).amount == Decimal("70")
    assert sorted(client.find_refund_ids(payment_id)) == sorted([first, second])
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.create_refund(
            payment_id=payment_id,
            refund_order_id="R-3",
            amount="0.01",
            currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
    assert caught.value.code == v10_errors.REFUND_AMOUNT_TOO_HIGH
    assert caught.value.origin == "PoS"


def test_refund_cancel_and_currency_and_state_errors(client, pos):
    payment_id = pay(client, pos, amount="10.00")
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.create_refund(
            payment_id=payment_id, refund_order_id="R", amount=1, currency_code="DKK",
            idempotency_key=new_idempotency_key(),
        )
    assert caught.value.code == "1354"  # not captured yet
    client.simulate_checkin(pos.beacon_id, CARD_USER)
    client.simulate_accept_payment(pos.beacon_id, CARD_USER)
    client.capture_payment(payment_id, "10.00")
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.create_refund(
            payment_id=payment_id, refund_order_id="R", amount=1, currency_code="EUR",
            idempotency_key=new_idempotency_key(),
        )
    assert caught.value.code == "1365"
    refund_id = client.create_refund(
        payment_id=payment_id, refund_order_id="R", amount=10, currency_code="DKK",
        idempotency_key=new_idempotency_key(),
    )
    client.cancel_refund(refund_id)
    assert client.get_refund(refund_id).status is RefundStatus.CANCELLED_BY_CLIENT
    with pytest.raises(errors.MobilePayConflict) as caught:
        client.capture_refund(refund_id)
    assert caught.value.code == "1351"


def test_validation_happens_before_any_http_call(client, emulator):
    before = len(emulator.requests_log)
    with pytest.raises(errors.MobilePayValidationError) as caught:
        client.initiate_payment(
            pos_id="not-a-guid", order_id="x" * 37, amount="-1", currency_code="SEK",
            idempotency_key=new_idempotency_key(),
        )
    message = str(caught.value)
    for field in ("pos_id", "order_id", "amount", "currency_code"):
        assert field in message
    with pytest.raises(errors.MobilePayValidationError, match="idempotency key is required"):
        client.prepare_payment(pos_id=emulator.demo.store_id, order_id="o", idempotency_key=None)
    with pytest.raises(errors.MobilePayValidationError, match="Invalid idempotency key"):
        client.prepare_payment(pos_id=emulator.demo.store_id, order_id="o", idempotency_key="k" * 37)
    assert len(emulator.requests_log) == before


def test_idempotent_retry_after_a_dropped_answer(client, pos, emulator):
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="drop_after", times=1)
    key = new_idempotency_key()
    payment_id = client.initiate_payment(
        pos_id=pos.pos_id, order_id="Order-D", amount="5.00", currency_code="DKK", idempotency_key=key
    )
    # The first attempt created the payment but its answer was lost; the retry with the
    # same key got the same payment back instead of a 1301 or a second payment.
    assert client.find_payment_ids(pos_id=pos.pos_id) == [payment_id]
    posts = [entry for entry in emulator.requests_log if entry[0] == "POST" and entry[1] == "/pos/v10/payments"]
    assert len(posts) >= 2


def test_5xx_is_retried_then_succeeds(client, pos, emulator):
    emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos.pos_id}", kind="status", status=503, times=2)
    assert client.get_pos(pos.pos_id).pos_id == pos.pos_id


def test_5xx_that_persists_becomes_a_server_error(client, pos, emulator):
    emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos.pos_id}", kind="status", status=500, times=10)
    with pytest.raises(errors.MobilePayServerError) as caught:
        client.get_pos(pos.pos_id)
    assert caught.value.status == 500
    emulator.faults.clear()


def test_4xx_is_not_retried(client, emulator):
    missing = new_idempotency_key()
    with pytest.raises(errors.MobilePayNotFound):
        client.get_pos(missing)
    assert [e for e in emulator.requests_log if e[1] == f"/pos/v10/pointofsales/{missing}"] == [
        ("GET", f"/pos/v10/pointofsales/{missing}", 404)
    ]


def test_unreachable_service_is_a_transport_error(emulator):
    clear_token_cache()
    config = ClientConfig(
        endpoints=emulator_endpoints("http://127.0.0.1:9"),
        client_id="c",
        client_secret="s3cr3t-value",
        merchant_vat="DK12345678",
        max_retries=1,
        backoff_factor=0.01,
    )
    with pytest.raises(errors.MobilePayTransportError) as caught:
        MobilePayPosClient(config).list_store_ids()
    assert "s3cr3t-value" not in str(caught.value)


def test_slow_answer_times_out_and_is_retried(client, pos, emulator):
    emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos.pos_id}", kind="latency", latency_ms=800,
                        times=1)
    # The GET timeout is 0.5 s: the first attempt times out, the retry answers.
    assert client.get_pos(pos.pos_id).name == "Check-out 1"


def test_expired_token_is_renewed(client, pos, emulator):
    old = client.get_access_token()
    emulator.advance_clock(3700 + 1)
    # The cached token still looks valid locally; the 401 makes the client renew once and retry.
    assert client.get_pos(pos.pos_id).pos_id == pos.pos_id
    assert client.get_access_token() != old


def test_bad_credentials(emulator):
    clear_token_cache()
    config = ClientConfig(
        endpoints=emulator_endpoints(emulator.base_url),
        client_id=emulator.demo.client_id,
        client_secret="wrong-secret-value",
        merchant_vat=emulator.demo.merchant_vat,
    )
    with pytest.raises(errors.MobilePayAuthenticationError) as caught:
        MobilePayPosClient(config).list_store_ids()
    assert caught.value.status == 401
    assert "wrong-secret-value" not in str(caught.value)


def test_poll_delay_is_respected(client, pos, emulator):
    payment_id = pay(client, pos)
    for _ in range(5):
        client.get_payment(payment_id)
        client.get_checkin(pos.pos_id)
    assert emulator.early_polls == 0


def test_polling_too_fast_is_what_the_emulator_counts(client, pos, emulator):
    """The counter the previous test relies on does count a client that ignores pollDelayInMs."""
    payment_id = pay(client, pos)
    headers = client._headers(client.get_access_token())
    for _ in range(3):
        requests.get(f"{client.config.endpoints.api_base}/payments/{payment_id}", headers=headers, timeout=2)
    assert emulator.early_polls >= 2


def test_other_merchant_is_forbidden(client, pos, emulator):
    other_vat = "DK11111111"
    emulator.add_store(other_vat, "MPPOS22222", "00002", name="Other shop")
    clear_token_cache()
    other = MobilePayPosClient(
        ClientConfig(
            endpoints=emulator_endpoints(emulator.base_url),
            client_id=emulator.demo.client_id,
            client_secret=emulator.demo.client_secret,
            merchant_vat=other_vat,
        )
    )
    with pytest.raises(errors.MobilePayForbidden) as caught:
        other.get_pos(pos.pos_id)
    assert caught.value.code == "1410"


@pytest.fixture
def plain_client(emulator):
    """A client without the contract check: for answers that break the contract on purpose."""
    clear_token_cache()
    return MobilePayPosClient(
        ClientConfig(
            endpoints=emulator_endpoints(emulator.base_url),
            client_id=emulator.demo.client_id,
            client_secret=emulator.demo.client_secret,
            merchant_vat=emulator.demo.merchant_vat,
            backoff_factor=0.01,
        )
    )


@pytest.mark.parametrize(
    "body",
    ["", "[]", "null", "<html>bad gateway</html>", '{"paymentId": 5}', "{}"],
    ids=["empty", "list", "null", "html", "wrong-type", "missing"],
)
def test_an_answer_that_cannot_be_understood_is_a_response_error(plain_client, pos, emulator, body):
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="body", body=body)
    key = new_idempotency_key()
    with pytest.raises(errors.MobilePayResponseError) as caught:
        plain_client.initiate_payment(
            pos_id=pos.pos_id, order_id="Order-R", amount="5.00", currency_code="DKK", idempotency_key=key
        )
    assert caught.value.status == 200
    assert errors.outcome_unknown(caught.value)
    # MobilePay did make the payment: the same key brings it back.
    payment_id = plain_client.initiate_payment(
        pos_id=pos.pos_id, order_id="Order-R", amount="5.00", currency_code="DKK", idempotency_key=key
    )
    assert plain_client.find_payment_ids(pos_id=pos.pos_id) == [payment_id]


@pytest.mark.parametrize(
    "body",
    [
        "",
        '{"paymentId": "x"}',
        '{"paymentId": "%s", "posId": "p", "orderId": "o", "status": "Teleported", "pollDelayInMs": 100}',
        '{"paymentId": "%s", "posId": "p", "orderId": "o", "status": "Reserved"}',
    ],
    ids=["empty", "missing-fields", "unknown-status", "no-poll-delay"],
)
def test_a_poll_answer_that_cannot_be_understood_is_a_response_error(plain_client, pos, emulator, body):
    payment_id = pay(plain_client, pos)
    body = body.replace("%s", payment_id)
    emulator.faults.add(method="GET", path=f"/pos/v10/payments/{payment_id}", kind="body", body=body)
    with pytest.raises(errors.MobilePayResponseError):
        plain_client.get_payment(payment_id)
    assert plain_client.get_payment(payment_id).status == PaymentStatus.INITIATED


def test_definite_and_unknown_outcomes(plain_client, pos, emulator):
    client = plain_client
    with pytest.raises(errors.MobilePayConflict) as refused:
        client.capture_payment(pay(client, pos), "1.00")
    assert not errors.outcome_unknown(refused.value)
    emulator.faults.add(method="GET", path="/pos/v10/payments", kind="status", status=503, times=None)
    with pytest.raises(errors.MobilePayServerError) as failed:
        client.find_payment_ids(pos_id=pos.pos_id)
    assert errors.outcome_unknown(failed.value)
    assert not errors.outcome_unknown(errors.MobilePayValidationError("bad"))
    assert errors.outcome_unknown(errors.MobilePayTransportError("lost"))


def test_provider_finds_payments_and_refunds_by_our_order_ids(emulator):
    from mobilepay.v10.provider import make_provider

    clear_token_cache()
    provider = make_provider(
        "emulator",
        client_id=emulator.demo.client_id,
        client_secret=emulator.demo.client_secret,
        merchant_vat=emulator.demo.merchant_vat,
        base_url=emulator.base_url,
    )
    client = provider.client
    pos_id = client.create_pos(
        merchant_pos_id="find-test", store_id=emulator.demo.store_id, name="Find", idempotency_key=new_idempotency_key()
    )
    beacon_id = client.get_pos(pos_id).beacon_id
    assert provider.find_payment("line-1") is None
    payment_id = client.initiate_payment(
        pos_id=pos_id, order_id="line-1", amount="20.00", currency_code="DKK", idempotency_key=new_idempotency_key()
    )
    found = provider.find_payment("line-1")
    assert (found.payment_id, found.state.value) == (payment_id, "waiting_for_customer")
    emulator.user_checkin(beacon_id, CARD_USER)
    emulator.user_accept_payment(beacon_id, CARD_USER)
    client.capture_payment(payment_id, "20.00")
    captured = provider.find_payment("line-1")
    assert (captured.payment_id, captured.state.value) == (payment_id, "captured")
    assert provider.find_refund(payment_id, "refund-line-1") is None
    refund_id = client.create_refund(
        payment_id=payment_id,
        refund_order_id="refund-line-1",
        amount="5.00",
        currency_code="DKK",
        idempotency_key=new_idempotency_key(),
    )
    client.create_refund(
        payment_id=payment_id,
        refund_order_id="refund-line-2",
        amount="1.00",
        currency_code="DKK",
        idempotency_key=new_idempotency_key(),
    )
    refund = provider.find_refund(payment_id, "refund-line-1")
    assert (refund.refund_id, refund.amount, refund.refund_order_id) == (refund_id, Decimal("5.00"), "refund-line-1")


def test_a_read_timeout_says_it_timed_out(client, pos, emulator):
    emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos.pos_id}", kind="latency", latency_ms=800,
                        times=None)
    with pytest.raises(errors.MobilePayTimeout) as caught:
        client.get_pos(pos.pos_id)
    assert "did not answer within 0.5 s" in str(caught.value)
    assert "could not be reached" not in str(caught.value)
    assert errors.outcome_unknown(caught.value)
    emulator.faults.clear()


def test_an_unreachable_service_is_not_called_a_timeout(emulator):
    clear_token_cache()
    config = ClientConfig(
        endpoints=emulator_endpoints("http://127.0.0.1:9"),
        client_id="c",
        client_secret="s",
        merchant_vat="DK12345678",
        max_retries=0,
    )
    with pytest.raises(errors.MobilePayTransportError) as caught:
        MobilePayPosClient(config).list_store_ids()
    assert not isinstance(caught.value, errors.MobilePayTimeout)
    assert "could not be reached" in str(caught.value)


def test_a_refused_simulated_customer_action_is_not_retried(client, pos, emulator):
    with pytest.raises(errors.MobilePaySimulationRefused) as caught:
        client.simulate_accept_payment(pos.beacon_id, CARD_USER)  # no payment to accept
    assert (caught.value.status, caught.value.code) == (500, "2003")
    assert not isinstance(caught.value, errors.MobilePayServerError)
    posts = [e for e in emulator.requests_log if e[1].endswith("/acceptpayment")]
    assert posts == [("POST", "/pos/app/usersimulation/acceptpayment", 500)], "sent once"
    # A real server failure of the simulation is still retried.
    emulator.faults.add(method="POST", path="/pos/app/usersimulation/checkin", kind="drop_before", times=1)
    client.simulate_checkin(pos.beacon_id, CARD_USER)


def test_the_obsolete_system_name_header_is_not_sent_unless_asked(emulator, contract):
    seen = []

    def build(**extra):
        clear_token_cache()
        c = MobilePayPosClient(
            ClientConfig(
                endpoints=emulator_endpoints(emulator.base_url),
                client_id=emulator.demo.client_id,
                client_secret=emulator.demo.client_secret,
                merchant_vat=emulator.demo.merchant_vat,
                **extra,
            )
        )
        c.session.hooks["response"].append(lambda response, **kw: seen.append(dict(response.request.headers)))
        return c

    build().list_store_ids()
    assert "X-MobilePay-Client-System-Name" not in seen[-1]
    assert seen[-1]["X-MobilePay-Client-System-Version"]
    build(send_system_name=True).list_store_ids()
    assert seen[-1]["X-MobilePay-Client-System-Name"] == "Odoo pos_mobilepay"
