"""ePayment emulator: the Webhooks API and the signed deliveries (API.md 10, 11.3)."""

import json
import time
import uuid

import pytest

from mobilepay.epayment import signature
from mobilepay.epayment.emulator import ControlError

PAYMENT_EVENTS = [f"epayments.payment.{name}.v1" for name in
                  ("created", "authorized", "aborted", "expired", "terminated", "cancelled", "captured", "refunded")]


def _verified(receiver, secret, count, contract):
    """The JSON bodies of the first ``count`` deliveries, each with a valid signature for the registered URL."""
    bodies = []
    for _path, headers, raw in receiver.wait_for(count)[:count]:
        signature.verify(secret, receiver.url, headers, raw)
        assert headers["Content-Type"] == "application/json"
        body = json.loads(raw)
        if "customerToken" in body:
            contract.check_checkin(body)
        else:
            contract.check_webhook(body)
        bodies.append(body)
    return bodies


# ---------------------------------------------------------------------------------------------- registrations


def test_register_list_delete(epayment_api):
    registered = epayment_api.register_webhook("http://127.0.0.1:9/hook", PAYMENT_EVENTS)
    assert set(registered) == {"id", "secret"}
    uuid.UUID(registered["id"])
    assert len(registered["secret"]) >= 32
    listed = epayment_api.get("/webhooks/v1/webhooks").json()
    assert listed == {"webhooks": [{"id": registered["id"], "url": "http://127.0.0.1:9/hook",
                                    "events": PAYMENT_EVENTS}]}  # no secret
    deleted = epayment_api.delete(f"/webhooks/v1/webhooks/{registered['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert epayment_api.get("/webhooks/v1/webhooks").json() == {"webhooks": []}
    again = epayment_api.delete(f"/webhooks/v1/webhooks/{registered['id']}")
    assert again.status_code == 400 and again.json()["extraDetails"][0]["name"] == "id"  # the spec: 204 or 400
    assert epayment_api.delete("/webhooks/v1/webhooks/not-a-uuid", validate_request=False).status_code == 400


def test_unknown_event_names_are_refused(epayment_api, problem):
    response = epayment_api.post("/webhooks/v1/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                           "events": ["epayment.payment.created.v1"]})
    body = problem(response, 400, field="events")
    assert "epayment.payment.created.v1" in body["extraDetails"][0]["reason"]
    problem(epayment_api.post("/webhooks/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": []}), 400,
            field="events")
    problem(epayment_api.post("/webhooks/v1/webhooks", {"url": "not a url", "events": PAYMENT_EVENTS},
                              validate_request=False), 400, field="url")


def test_https_can_be_required(epayment_api, epayment_emulator, problem):
    epayment_emulator.settings.webhook_require_https = True
    problem(epayment_api.post("/webhooks/v1/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                        "events": PAYMENT_EVENTS}), 400, field="url")
    epayment_api.register_webhook("https://odoo.example.com/hook", PAYMENT_EVENTS)


def test_at_most_25_registrations_per_event(epayment_api, problem):
    for i in range(25):
        epayment_api.register_webhook(f"http://127.0.0.1:9/hook/{i}", ["epayments.payment.captured.v1"])
    problem(epayment_api.post("/webhooks/v1/webhooks", {"url": "http://127.0.0.1:9/more",
                                                        "events": ["epayments.payment.captured.v1"]}), 400,
            field="events")
    epayment_api.register_webhook("http://127.0.0.1:9/other", ["epayments.payment.refunded.v1"])


def test_one_check_in_registration_per_msn(epayment_api, epayment_emulator, problem):
    first = epayment_api.register_webhook("http://127.0.0.1:9/a", ["user.checked-in.v1"])
    problem(epayment_api.post("/webhooks/v1/webhooks", {"url": "http://127.0.0.1:9/b",
                                                        "events": ["user.checked-in.v1"]}), 400, field="events")
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    epayment_api.register_webhook("http://127.0.0.1:9/c", ["user.checked-in.v1"], keys=other)  # another MSN
    epayment_api.delete(f"/webhooks/v1/webhooks/{first['id']}")
    epayment_api.register_webhook("http://127.0.0.1:9/b", ["user.checked-in.v1"])


def test_registrations_are_per_msn(epayment_api, epayment_emulator):
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    mine = epayment_api.register_webhook("http://127.0.0.1:9/a", PAYMENT_EVENTS)
    assert epayment_api.get("/webhooks/v1/webhooks", keys=other).json() == {"webhooks": []}
    assert epayment_api.delete(f"/webhooks/v1/webhooks/{mine['id']}", keys=other).status_code == 400


# ---------------------------------------------------------------------------------------------- deliveries


def test_every_payment_event_is_delivered_signed(epayment_api, epayment_emulator, epayment_contract,
                                                 webhook_receiver):
    receiver = webhook_receiver()
    hook = epayment_api.register_webhook(receiver.url, PAYMENT_EVENTS)
    reference = epayment_api.create_payment(value=10000)
    create_key = epayment_emulator.payment(reference)["events"][0]["idempotencyKey"]
    epayment_emulator.approve(reference)
    epayment_api.capture(reference, 6000, idempotency_key="cap-1")
    epayment_api.refund(reference, 1000, idempotency_key="ref-1")
    epayment_api.cancel(reference, idempotency_key="can-1")
    bodies = _verified(receiver, hook["secret"], 5, epayment_contract)
    assert [b["name"] for b in bodies] == ["CREATED", "AUTHORIZED", "CAPTURED", "REFUNDED", "CANCELLED"]
    assert [b["idempotencyKey"] for b in bodies] == [create_key, create_key, "cap-1", "ref-1", None]
    assert [b["amount"]["value"] for b in bodies] == [10000, 10000, 6000, 1000, 4000]
    assert all(b["msn"] == epayment_emulator.demo.msn and b["reference"] == reference and b["success"]
               for b in bodies)
    assert set(bodies[0]) == {"msn", "reference", "pspReference", "name", "amount", "timestamp", "idempotencyKey",
                              "success"}
    assert "captureGuaranteedUntil" in bodies[1]  # API.md 0 (2026): on the authorized webhook
    events = epayment_api.events(reference)
    assert [b["pspReference"] for b in bodies] == [e["pspReference"] for e in events]
    deliveries = epayment_emulator.wait_for_deliveries(5)
    assert [d["event"] for d in deliveries] == [f"epayments.payment.{b['name'].lower()}.v1" for b in bodies]
    assert all(d["registration_id"] == hook["id"] and d["status"] == 200 and d["attempt"] == 1
               for d in deliveries)


def test_only_subscribed_events_are_delivered(epayment_api, epayment_emulator, webhook_receiver):
    captured = webhook_receiver()
    everything = webhook_receiver()
    epayment_api.register_webhook(captured.url, ["epayments.payment.captured.v1"])
    epayment_api.register_webhook(everything.url, PAYMENT_EVENTS)
    reference = epayment_api.authorized_payment(value=1000)
    epayment_api.capture(reference, 1000)
    epayment_emulator.wait_for_deliveries(4)
    assert [b["name"] for b in captured.bodies()] == ["CAPTURED"]
    assert [b["name"] for b in everything.bodies()] == ["CREATED", "AUTHORIZED", "CAPTURED"]


def test_rejected_terminated_and_expired_events(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["epayments.payment.aborted.v1", "epayments.payment.terminated.v1",
                                                 "epayments.payment.expired.v1"])
    aborted = epayment_api.create_payment()
    epayment_emulator.reject(aborted)
    terminated = epayment_api.create_payment()
    epayment_api.cancel(terminated)
    expired = epayment_api.create_payment()
    epayment_emulator.clock.advance(600)  # nobody asks for the payment: the webhook goes out anyway
    epayment_emulator.wait_for_deliveries(3)
    names = {b["reference"]: b["name"] for b in receiver.bodies()}
    assert names == {aborted: "ABORTED", terminated: "TERMINATED", expired: "EXPIRED"}


def test_the_sweeper_expires_payments_in_real_time(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["epayments.payment.expired.v1"])
    epayment_emulator.settings.payment_expiry_s = 0.2
    reference = epayment_api.create_payment()
    assert epayment_emulator.wait_for_deliveries(1, timeout=3)[0]["body"]["reference"] == reference


def test_failed_deliveries_are_retried_and_order_is_kept_per_payment(epayment_api, epayment_emulator,
                                                                     webhook_receiver):
    receiver = webhook_receiver(statuses=[500, 503])
    hook = epayment_api.register_webhook(receiver.url, PAYMENT_EVENTS)
    reference = epayment_api.create_payment(value=1000)
    epayment_emulator.approve(reference)
    deliveries = epayment_emulator.wait_for_deliveries(2)
    attempts = [(d["event"].split(".")[2], d["status"], d["attempt"]) for d in epayment_emulator.deliveries]
    assert attempts == [("created", 500, 1), ("created", 503, 2), ("created", 200, 3), ("authorized", 200, 1)]
    assert [d["body"]["name"] for d in deliveries] == ["CREATED", "AUTHORIZED"]
    # Each attempt is signed afresh for the registered URL.
    for _path, headers, raw in receiver.received:
        signature.verify(hook["secret"], receiver.url, headers, raw)


def test_a_failing_payment_does_not_hold_back_other_payments(epayment_api, epayment_emulator, webhook_receiver):
    stuck = epayment_api.payment_body()
    receiver = webhook_receiver(respond=lambda raw: 500 if json.loads(raw)["reference"] == stuck["reference"]
                                else 200)
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1", "epayments.payment.aborted.v1"])
    assert epayment_api.create(stuck).status_code == 201
    epayment_emulator.reject(stuck["reference"])  # waits behind the failing CREATED of the same payment
    other = epayment_api.create_payment()
    epayment_emulator.reject(other)
    successes = epayment_emulator.wait_for_deliveries(2)
    assert [(d["body"]["reference"], d["body"]["name"]) for d in successes] == [(other, "CREATED"),
                                                                                 (other, "ABORTED")]
    time.sleep(0.3)
    stuck_attempts = [d["body"]["name"] for d in epayment_emulator.deliveries
                      if d["body"]["reference"] == stuck["reference"]]
    assert stuck_attempts and set(stuck_attempts) == {"CREATED"}  # ABORTED never overtakes it


def test_a_delivery_is_dropped_after_the_last_attempt(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_max_attempts = 3
    receiver = webhook_receiver(statuses=[500, 500, 500])
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1", "epayments.payment.aborted.v1"])
    reference = epayment_api.create_payment()
    epayment_emulator.reject(reference)
    success = epayment_emulator.wait_for_deliveries(1)
    assert success[0]["body"]["name"] == "ABORTED"
    created = [d for d in epayment_emulator.deliveries if d["body"]["name"] == "CREATED"]
    assert [d["attempt"] for d in created] == [1, 2, 3]


def test_no_answer_within_the_timeout_is_a_failure(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_timeout_s = 0.2
    receiver = webhook_receiver(delays=[1.0])
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
    epayment_api.create_payment()
    epayment_emulator.wait_for_deliveries(1)
    first = epayment_emulator.deliveries[0]
    assert first["status"] is None and "no answer" in first["error"]


def test_connection_errors_are_retried(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_max_attempts = 2
    epayment_api.register_webhook("http://127.0.0.1:9/nobody-listens", ["epayments.payment.created.v1"])
    epayment_api.create_payment()
    deadline = time.monotonic() + 3
    while len(epayment_emulator.deliveries) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(d["status"], d["attempt"]) for d in epayment_emulator.deliveries] == [(None, 1), (None, 2)]
    assert epayment_emulator.deliveries[0]["error"]


def test_deliveries_do_not_block_the_api(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver(delays=[0.5])
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
    started = time.monotonic()
    epayment_api.create_payment()
    receiver.wait_for(1)  # the receiver holds this delivery for 0.5 s
    epayment_api.create_payment()
    assert time.monotonic() - started < 0.4
    epayment_emulator.wait_for_deliveries(2)


def test_deleted_registrations_receive_nothing_more(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver()
    hook = epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
    epayment_api.delete(f"/webhooks/v1/webhooks/{hook['id']}")
    epayment_api.create_payment()
    time.sleep(0.1)
    assert receiver.received == [] and epayment_emulator.deliveries == []


def test_duplicate_deliveries(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_duplicate_deliveries = True
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
    epayment_api.create_payment()
    deliveries = epayment_emulator.wait_for_deliveries(2)
    assert deliveries[0]["body"] == deliveries[1]["body"] and deliveries[1]["duplicate"]
    epayment_emulator.settings.webhook_duplicate_deliveries = False
    epayment_emulator.redeliver(-1)
    assert len(epayment_emulator.wait_for_deliveries(3)) == 3
    assert len({json.dumps(b, sort_keys=True) for b in receiver.bodies()}) == 1


def test_wait_for_deliveries_times_out_clearly(epayment_emulator):
    with pytest.raises(TimeoutError, match="expected 1 successful"):
        epayment_emulator.wait_for_deliveries(1, timeout=0.05)


# ---------------------------------------------------------------------------------------------- check-in


def test_scan_sends_a_signed_check_in(epayment_api, epayment_emulator, epayment_contract, webhook_receiver):
    receiver = webhook_receiver()
    hook = epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-7", "Kasse 7")
    token = epayment_emulator.scan_callback_qr("till-7", epayment_emulator.demo.phone_numbers[0])
    body = _verified(receiver, hook["secret"], 1, epayment_contract)[0]
    assert list(body) == ["customerToken", "merchantQrId", "msn", "initiatedAt"]
    assert body["customerToken"] == token
    assert body["merchantQrId"] == "till-7" and body["msn"] == epayment_emulator.demo.msn
    assert body["initiatedAt"].endswith("Z") and len(body["initiatedAt"].split(".")[1]) == 8
    assert epayment_emulator.deliveries[0]["event"] == "user.checked-in.v1"


def test_check_in_can_carry_the_2023_property_name(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.checkin_msn_names = ("msn", "merchantSerialNumber")
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-7")
    epayment_emulator.scan_callback_qr("till-7")
    receiver.wait_for(1)
    body = receiver.bodies()[0]
    assert body["msn"] == body["merchantSerialNumber"] == epayment_emulator.demo.msn


def test_scan_without_a_check_in_registration_fails_clearly(epayment_api, epayment_emulator):
    epayment_api.register_webhook("http://127.0.0.1:9/hook", PAYMENT_EVENTS)
    epayment_api.put_callback_qr("till-7")
    with pytest.raises(ControlError, match="Can't connect to store"):
        epayment_emulator.scan_callback_qr("till-7")
    with pytest.raises(ControlError, match="unknown"):
        epayment_emulator.scan_callback_qr("no-such-till")


def test_check_in_of_a_migrated_v10_sticker_reports_the_beacon_id(epayment_api, epayment_emulator,
                                                                   webhook_receiver):
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    beacon = "123456789012345"
    assert epayment_api.put(f"/qr/v1/merchant-callback/mobilepay/{beacon}",
                            {"locationDescription": "Old PoS"}).status_code == 200
    epayment_emulator.scan_callback_qr(beacon)
    receiver.wait_for(1)
    assert receiver.bodies()[0]["merchantQrId"] == beacon


def test_each_scan_makes_a_new_token(epayment_api, epayment_emulator, webhook_receiver):
    epayment_api.register_webhook(webhook_receiver().url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-7")
    first = epayment_emulator.scan_callback_qr("till-7")
    second = epayment_emulator.scan_callback_qr("till-7")
    assert first != second
    for token in (first, second):  # both valid for 15 minutes
        body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
        assert epayment_api.create(body).status_code == 201
