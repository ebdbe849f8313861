"""ePayment emulator: inputs a tester found answered with a 500 or an undocumented status (issue 19).

Each one now gets the documented 400 with a Problem body naming the field (or the documented code).
The fuzzing run (test_epayment_emulator_fuzz) covers the same ground at random; these are the
explicit cases. Every exchange is checked against its spec by ``epayment_api`` (where the request
itself breaks the spec, only the answer is).
"""

import uuid

import pytest

NOT_A_LIST_OF_STRINGS = [[{"a": 1}], [["COMMERCIAL_CARDS"]], [1], [None], "COMMERCIAL_CARDS", {"x": 1}]


@pytest.mark.parametrize("expires_at", [
    "2025-02-30T10:00:00Z",  # no 30 February
    "2025-13-01T10:00:00Z",  # no month 13
    "2025-06-01T25:00:00Z",  # no hour 25
    "2025-06-01T10:61:00+01:00",
    "0000-01-01T00:00:00Z",  # no year 0
])
def test_impossible_expires_at_matching_the_pattern_is_400(epayment_api, problem, expires_at):
    body = epayment_api.payment_body(expiresAt=expires_at)
    problem(epayment_api.create(body, validate_request=False), 400, field="expiresAt")


@pytest.mark.parametrize("blocked", NOT_A_LIST_OF_STRINGS)
def test_blocked_sources_of_the_wrong_type_are_400(epayment_api, problem, blocked):
    body = epayment_api.payment_body(paymentMethod={"type": "WALLET", "blockedSources": blocked})
    problem(epayment_api.create(body, validate_request=False), 400, field="paymentMethod.blockedSources")


def test_blocked_sources_commercial_cards_is_accepted(epayment_api):
    body = epayment_api.payment_body(paymentMethod={"type": "WALLET", "blockedSources": ["COMMERCIAL_CARDS"]})
    assert epayment_api.create(body).status_code == 201


@pytest.mark.parametrize("path, body", [
    ("/qr/v1/exchange", {"qrCode": "https://qr.vipps.no/28/2/01/031/4512345678"}),
    ("/qr/v1/exchange/customer", {"customer": {"customerToken": "token"}}),
])
@pytest.mark.parametrize("requested", NOT_A_LIST_OF_STRINGS)
def test_qr_exchange_requested_data_of_the_wrong_type_is_400(epayment_api, path, body, requested):
    response = epayment_api.post(path, {**body, "requestedData": requested}, validate_request=False)
    assert response.status_code == 400, response.text
    assert response.json()["extraDetails"] == [{"name": "requestedData", "reason": "Only MSISDN is supported."}]


@pytest.mark.parametrize("url", ["http://[", "https://[::1/hook", "http://host:port/hook", "http://host:99999/",
                                 "http://:80/hook"])
def test_an_unparsable_webhook_url_is_400(epayment_api, problem, url):
    response = epayment_api.post("/webhooks/v1/webhooks", {"url": url, "events": ["epayments.payment.created.v1"]},
                                 validate_request=False)
    problem(response, 400, field="url")


def test_deleting_an_unknown_webhook_is_400_as_the_spec_documents(epayment_api, problem):
    # swagger-webhooks-api.yaml lists only 204 and 400 for delete (API.md 10.3); the emulator used to say 404.
    problem(epayment_api.delete(f"/webhooks/v1/webhooks/{uuid.uuid4()}"), 400, field="id")


def test_an_empty_force_approve_token_is_refused_with_10010(epayment_api, problem):
    reference = epayment_api.create_payment(flow="QR")
    response = epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", {"token": ""})
    problem(response, 400, code="10010")
    assert epayment_api.payment(reference)["state"] == "CREATED"
