"""ePayment emulator: states, aggregates and the event log (API.md 7.2-7.7, 8)."""

from datetime import datetime, timedelta

import pytest

from mobilepay.epayment.emulator import ControlError


def _amount(value):
    return {"currency": "DKK", "value": value}


def _aggregate(payment):
    return {name: payment["aggregate"][name]["value"]
            for name in ("authorizedAmount", "cancelledAmount", "capturedAmount", "refundedAmount")}


def test_approve_authorizes_the_whole_amount(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=10000)
    epayment_emulator.approve(reference, epayment_emulator.demo.phone_numbers[1])
    payment = epayment_api.payment(reference)
    assert payment["state"] == "AUTHORIZED"
    assert _aggregate(payment) == {"authorizedAmount": 10000, "cancelledAmount": 0, "capturedAmount": 0,
                                   "refundedAmount": 0}
    assert epayment_emulator.payment(reference)["customer"] == epayment_emulator.demo.phone_numbers[1]


@pytest.mark.parametrize("currency, msn, days", [("DKK", None, 14), ("EUR", "5555", 14), ("NOK", "4444", 180)])
def test_capture_guaranteed_until_follows_the_market(epayment_api, epayment_emulator, currency, msn, days):
    keys = epayment_emulator.add_sales_unit(msn, currency) if msn else None
    reference = epayment_api.create_payment(value=10000, currency=currency, keys=keys)
    epayment_emulator.approve(reference)
    payment = epayment_api.payment(reference, keys=keys)
    until = datetime.fromisoformat(payment["captureGuaranteedUntil"].replace("Z", "+00:00"))
    expected = epayment_emulator.clock.now() + timedelta(days=days)
    assert abs((until - expected).total_seconds()) < 5


def test_reject_aborts(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.reject(reference)
    assert epayment_api.payment(reference)["state"] == "ABORTED"
    with pytest.raises(ControlError, match="ABORTED"):
        epayment_emulator.approve(reference)


def test_payment_expires_after_ten_minutes_of_emulated_time(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.clock.advance(599)
    assert epayment_api.payment(reference)["state"] == "CREATED"
    epayment_emulator.clock.advance(1)
    assert epayment_api.payment(reference)["state"] == "EXPIRED"
    assert [e["name"] for e in epayment_api.events(reference)] == ["CREATED", "EXPIRED"]


def test_expire_control(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    assert epayment_emulator.expire(reference)["state"] == "EXPIRED"
    with pytest.raises(ControlError):
        epayment_emulator.expire(reference)


def test_approve_of_a_push_payment_by_another_customer_is_refused(epayment_api, epayment_emulator):
    phones = epayment_emulator.demo.phone_numbers
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"phoneNumber": phones[0]})
    with pytest.raises(ControlError, match="sent to"):
        epayment_emulator.approve(reference, phones[1])
    with pytest.raises(ControlError, match="no payment"):
        epayment_emulator.approve("ref-does-not-exist")
    epayment_emulator.approve(reference)
    assert epayment_api.payment(reference)["state"] == "AUTHORIZED"


# ---------------------------------------------------------------------------------------------- cancel


def test_cancel_before_authorization_terminates(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=10000)
    response = epayment_api.cancel(reference)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["state"] == "TERMINATED"
    assert _aggregate(body)["cancelledAmount"] == 10000
    assert body["reference"] == reference and body["amount"] == _amount(10000)
    with pytest.raises(ControlError):
        epayment_emulator.approve(reference)
    assert [e["name"] for e in epayment_api.events(reference)] == ["CREATED", "TERMINATED"]


def test_cancel_transaction_only_before_authorization_terminates_too(epayment_api):
    reference = epayment_api.create_payment()
    assert epayment_api.cancel(reference, {"cancelTransactionOnly": True}).json()["state"] == "TERMINATED"


def test_cancel_transaction_only_keeps_an_authorized_payment(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    problem(epayment_api.cancel(reference, {"cancelTransactionOnly": True}), 400, code="6060")
    payment = epayment_api.payment(reference)
    assert payment["state"] == "AUTHORIZED" and _aggregate(payment)["cancelledAmount"] == 0


def test_cancel_after_authorization_releases_everything(epayment_api):
    reference = epayment_api.authorized_payment(value=10000)
    body = epayment_api.cancel(reference, {"cancelTransactionOnly": False}).json()
    assert body["state"] == "AUTHORIZED"
    assert _aggregate(body) == {"authorizedAmount": 10000, "cancelledAmount": 10000, "capturedAmount": 0,
                                "refundedAmount": 0}
    nothing_left = epayment_api.capture(reference, 100)
    assert nothing_left.json()["extraDetails"] == [{"name": "ErrorCode", "reason": "6090"}]


def test_cancel_after_partial_capture_releases_the_rest(epayment_api):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 2500).status_code == 200
    body = epayment_api.cancel(reference).json()
    assert _aggregate(body) == {"authorizedAmount": 10000, "cancelledAmount": 7500, "capturedAmount": 2500,
                                "refundedAmount": 0}
    events = epayment_api.events(reference)
    assert [e["name"] for e in events] == ["CREATED", "AUTHORIZED", "CAPTURED", "CANCELLED"]
    assert events[-1]["amount"] == _amount(7500)
    assert events[-1]["idempotencyKey"] is None  # API.md 5 / 10.6: missing on CANCELLED


def test_cancel_after_full_capture_is_refused(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    assert epayment_api.capture(reference, 10000).status_code == 200
    problem(epayment_api.cancel(reference), 400, code="6040")


def test_cancel_while_the_customer_is_approving(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment()
    epayment_emulator.set_processing(reference)
    problem(epayment_api.cancel(reference), 400, code="6250")
    epayment_emulator.approve(reference)
    assert epayment_api.cancel(reference).json()["state"] == "AUTHORIZED"


def test_cancel_of_a_final_unauthorized_payment_changes_nothing(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    epayment_emulator.expire(reference)
    body = epayment_api.cancel(reference).json()
    assert body["state"] == "EXPIRED" and _aggregate(body)["cancelledAmount"] == 0


# ---------------------------------------------------------------------------------------------- capture


def test_partial_captures_up_to_the_authorized_amount(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    first = epayment_api.capture(reference, 3000)
    assert first.status_code == 200 and _aggregate(first.json())["capturedAmount"] == 3000
    second = epayment_api.capture(reference, 5000)
    assert _aggregate(second.json())["capturedAmount"] == 8000
    problem(epayment_api.capture(reference, 2001), 400, code="6090")
    assert _aggregate(epayment_api.capture(reference, 2000).json())["capturedAmount"] == 10000
    assert second.json()["state"] == "AUTHORIZED"


def test_capture_before_authorization_is_refused(epayment_api, problem):
    reference = epayment_api.create_payment()
    problem(epayment_api.capture(reference, 100), 400, code="6080")


def test_capture_with_another_currency_or_no_amount(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    problem(epayment_api.capture(reference, 100, currency="EUR"), 400, code="5040")
    problem(epayment_api.capture(reference, 0), 400, field="modificationAmount.value")
    problem(epayment_api.capture(reference, 12.5, validate_request=False), 400, code="4040")
    response = epayment_api.post(f"/epayment/v1/payments/{reference}/capture", {}, idempotency_key="k-empty",
                                 validate_request=False)
    problem(response, 400, field="modificationAmount")


def test_partial_capture_refused_for_some_sales_units(epayment_api, epayment_emulator, problem):
    epayment_emulator.sales_unit().partial_capture_allowed = False
    reference = epayment_api.authorized_payment(value=10000)
    problem(epayment_api.capture(reference, 5000), 400, code="6140")
    assert epayment_api.capture(reference, 10000).status_code == 200


def test_capture_after_the_capture_period(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_emulator.clock.advance(15 * 24 * 3600)
    problem(epayment_api.capture(reference, 100), 400, code="6100")


# ---------------------------------------------------------------------------------------------- refund


def test_refunds_partial_and_repeated_up_to_what_was_captured(epayment_api, problem):
    reference = epayment_api.authorized_payment(value=10000)
    problem(epayment_api.refund(reference, 100), 400, code="6150")  # nothing captured yet
    epayment_api.capture(reference, 6000)
    first = epayment_api.refund(reference, 2000)
    assert first.status_code == 200, first.text
    assert _aggregate(first.json()) == {"authorizedAmount": 10000, "cancelledAmount": 0, "capturedAmount": 6000,
                                        "refundedAmount": 2000}
    assert _aggregate(epayment_api.refund(reference, 3000).json())["refundedAmount"] == 5000
    problem(epayment_api.refund(reference, 1001), 400, code="6150")
    assert _aggregate(epayment_api.refund(reference, 1000).json())["refundedAmount"] == 6000
    assert epayment_api.payment(reference)["state"] == "AUTHORIZED"


def test_refund_period(epayment_api, epayment_emulator, problem):
    reference = epayment_api.authorized_payment(value=10000)
    epayment_api.capture(reference, 10000)
    epayment_emulator.clock.advance(366 * 24 * 3600)
    problem(epayment_api.refund(reference, 100), 400, code="6220")


# ---------------------------------------------------------------------------------------------- events and lookups


def test_event_log_records_every_operation_with_its_own_psp_reference(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=10000)
    create_key = epayment_emulator.payment(reference)["events"][0]["idempotencyKey"]
    epayment_emulator.approve(reference)
    epayment_api.capture(reference, 4000, idempotency_key="cap-1")
    epayment_api.capture(reference, 1000, idempotency_key="cap-2")
    epayment_api.refund(reference, 500, idempotency_key="ref-1")
    epayment_api.cancel(reference, idempotency_key="can-1")
    events = epayment_api.events(reference)
    assert [(e["name"], e["amount"]["value"], e["idempotencyKey"]) for e in events] == [
        ("CREATED", 10000, create_key), ("AUTHORIZED", 10000, create_key), ("CAPTURED", 4000, "cap-1"),
        ("CAPTURED", 1000, "cap-2"), ("REFUNDED", 500, "ref-1"), ("CANCELLED", 5000, None)]
    assert all(e["success"] is True and e["reference"] == reference for e in events)
    assert len({e["pspReference"] for e in events}) == len(events)
    assert events[0]["pspReference"] == epayment_api.payment(reference)["pspReference"]
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert events[0]["timestamp"].endswith("Z") and len(events[0]["timestamp"].split(".")[1]) == 8  # 7 digits + Z


def test_modification_psp_reference_setting(epayment_api, epayment_emulator):
    reference = epayment_api.authorized_payment(value=10000)
    payment_psp = epayment_api.payment(reference)["pspReference"]
    assert epayment_api.capture(reference, 100).json()["pspReference"] == payment_psp  # default: [SK]
    epayment_emulator.settings.modification_psp_reference = "event"
    own = epayment_api.capture(reference, 100).json()["pspReference"]
    assert own == epayment_api.events(reference)[-1]["pspReference"] != payment_psp


def test_unknown_reference_is_404_with_5090(epayment_api, problem):
    for method, path in (("GET", "/epayment/v1/payments/ref-unknown-1"),
                         ("GET", "/epayment/v1/payments/ref-unknown-1/events")):
        problem(epayment_api.call(method, path), 404, code="5090")
    problem(epayment_api.capture("ref-unknown-1", 100), 404, code="5090")
    problem(epayment_api.cancel("ref-unknown-1"), 404, code="5090")
    problem(epayment_api.refund("ref-unknown-1", 100), 404, code="5090")


def test_error_bodies_are_problem_json(epayment_api):
    reference = epayment_api.create_payment()
    response = epayment_api.capture(reference, 100)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "detail", "instance", "status", "traceId", "extraDetails"}
    assert body["instance"] == f"/v1/payments/{reference}/capture"  # as in the API.md 6.5 example
    assert body["traceId"].startswith("00-")


# ---------------------------------------------------------------------------------------------- force approve


def test_force_approve_with_a_customer(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    phone = epayment_emulator.demo.phone_numbers[0]
    response = epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve",
                                 {"customer": {"phoneNumber": phone}})
    assert response.status_code == 200 and response.content == b""
    assert epayment_api.payment(reference)["state"] == "AUTHORIZED"


def test_force_approve_with_the_token_of_the_redirect_url(epayment_api, epayment_emulator, problem):
    reference = epayment_api.create_payment(flow="QR")
    token = epayment_emulator.payment(reference)["redirectUrl"].split("token=")[1]
    problem(epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", {"token": "wrong"}), 400,
            code="10010")
    assert epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", {"token": token}).status_code == 200
    problem(epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", {"token": token}), 400,
            code="10010")  # not CREATED any more


def test_force_approve_refusals(epayment_api, epayment_emulator, problem):
    phones = epayment_emulator.demo.phone_numbers
    minor = next(c for c in epayment_emulator.demo.customers if c.age < 18)
    pushed = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"phoneNumber": phones[0]})
    path = f"/epayment/v1/test/payments/{pushed}/approve"
    problem(epayment_api.post(path, {"customer": {"phoneNumber": phones[1]}}), 400, code="10010")
    problem(epayment_api.post(path, {"customer": {"phoneNumber": "4599999999"}}), 400, code="10010")
    problem(epayment_api.post(path, {}, validate_request=True), 400, field="customer")
    aged = epayment_api.create_payment(minimumUserAge=18)
    problem(epayment_api.post(f"/epayment/v1/test/payments/{aged}/approve",
                              {"customer": {"phoneNumber": minor.phone_number}}), 400, code="10010")
    problem(epayment_api.post("/epayment/v1/test/payments/ref-unknown-1/approve",
                              {"customer": {"phoneNumber": phones[0]}}), 404, code="5090")


def test_profile_sub_after_authorization(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(profile={"scope": "name phoneNumber"})
    assert epayment_api.payment(reference)["profile"] == {}
    epayment_emulator.approve(reference)
    assert epayment_api.payment(reference)["profile"]["sub"]
