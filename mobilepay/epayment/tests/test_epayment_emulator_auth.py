"""ePayment emulator: the access token and the headers every API call needs (API.md 3, 4)."""

import pytest


def test_token_answer_has_all_values_as_strings(epayment_api, epayment_emulator):
    response = epayment_api.token_response(msn=epayment_emulator.demo.msn)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource",
                         "access_token"}
    assert all(isinstance(value, str) for value in body.values()), body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "3600"  # test environment: 1 hour (API.md 2)
    assert int(body["expires_on"]) - int(body["not_before"]) == 3600
    assert body["access_token"].count(".") == 2  # JWT-shaped


@pytest.mark.parametrize("override, status, error", [
    ({"client_secret": "wrong"}, 401, "unauthorized_client"),
    ({"client_id": "00000000-0000-0000-0000-000000000000"}, 401, "unauthorized_client"),
    ({"msn": "654321"}, 401, "unauthorized_client"),
    ({"client_id": None}, 400, "invalid_request"),
])
def test_token_refuses_wrong_keys(epayment_api, override, status, error):
    response = epayment_api.token_response(**override, validate_request="client_id" not in override)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


def test_token_subscription_key_is_checked_by_the_gateway(epayment_api):
    missing = epayment_api.token_response(subscription_key=None, validate_request=False)
    assert missing.status_code == 401
    assert missing.json() == {"statusCode": 401, "message": missing.json()["message"]}
    assert "missing subscription key" in missing.json()["message"]
    wrong = epayment_api.token_response(subscription_key="0" * 32)
    assert wrong.status_code == 401
    assert "invalid subscription key" in wrong.json()["message"]


def test_token_of_one_sales_unit_with_the_key_of_another(epayment_api, epayment_emulator):
    other = epayment_emulator.add_sales_unit("654321", "EUR")
    response = epayment_api.token_response(other, subscription_key=epayment_emulator.demo.subscription_key)
    assert response.status_code == 401
    assert epayment_api.token_response(other).status_code == 200


def test_api_calls_need_a_bearer_token(epayment_api):
    reference = epayment_api.create_payment()
    path = f"/epayment/v1/payments/{reference}"
    token = epayment_api.token()
    for auth in (None, token, "Basic " + token, "Bearer", "Bearer not.a.jwt"):
        headers = {} if auth is None else {"Authorization": auth}
        response = epayment_api.get(path, token=None, headers=headers, validate_request=auth is not None)
        assert response.status_code == 401, (auth, response.text)
        assert response.json()["statusCode"] == 401
    assert epayment_api.get(path).status_code == 200


def test_expired_token_is_refused_and_a_new_one_works(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    token = epayment_api.token()
    epayment_emulator.clock.advance(3600)
    expired = epayment_api.get(f"/epayment/v1/payments/{reference}", token=token)
    assert expired.status_code == 401
    assert epayment_api.payment(reference)["reference"] == reference  # the helper fetched a fresh token


def test_token_lifetime_is_a_setting(epayment_api, epayment_emulator):
    epayment_emulator.settings.token_expires_in_s = 60
    assert epayment_api.token_response().json()["expires_in"] == "60"


def test_api_calls_need_the_subscription_key(epayment_api):
    response = epayment_api.get("/epayment/v1/payments/ref-00000001", subscription_key=None, validate_request=False)
    assert response.status_code == 401
    assert "missing subscription key" in response.json()["message"]
    response = epayment_api.get("/epayment/v1/payments/ref-00000001", subscription_key="f" * 32)
    assert response.status_code == 401
    assert "invalid subscription key" in response.json()["message"]


def test_epayment_calls_need_the_merchant_serial_number(epayment_api, problem):
    reference = epayment_api.create_payment()
    missing = epayment_api.get(f"/epayment/v1/payments/{reference}", msn=None, validate_request=False)
    problem(missing, 400, field="Merchant-Serial-Number")
    malformed = epayment_api.get(f"/epayment/v1/payments/{reference}", msn="12", validate_request=False)
    problem(malformed, 400, field="Merchant-Serial-Number")
    other = epayment_api.get(f"/epayment/v1/payments/{reference}", msn="999999")
    problem(other, 403)


def test_webhooks_take_the_msn_from_the_token_when_it_is_not_sent(epayment_api):
    response = epayment_api.get("/webhooks/v1/webhooks", msn=None)
    assert response.status_code == 200
    assert response.json() == {"webhooks": []}


def test_merchant_callback_calls_need_the_merchant_serial_number(epayment_api):
    response = epayment_api.get("/qr/v1/merchant-callback", msn=None, validate_request=False)
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "Merchant-Serial-Number"


def test_system_headers_are_limited_to_30_characters(epayment_api, problem):
    response = epayment_api.create(headers={"Vipps-System-Name": "x" * 31}, validate_request=False)
    problem(response, 400, field="Vipps-System-Name")
    ok = epayment_api.create(headers={"Vipps-System-Name": "odoo", "Vipps-System-Version": "19.0",
                                      "Vipps-System-Plugin-Name": "pos_mobilepay",
                                      "Vipps-System-Plugin-Version": "19.0.1.2.0"})
    assert ok.status_code == 201, ok.text


def test_tokens_of_a_sales_unit_act_for_that_unit_only(epayment_api, epayment_emulator, problem):
    other = epayment_emulator.add_sales_unit("654321", "EUR", name="Kauppa")
    reference = epayment_api.create_payment()
    # Same reference, other MSN: references are unique per sales unit (API.md 6.2).
    body = epayment_api.payment_body(reference=reference, currency="EUR")
    assert epayment_api.create(body, keys=other).status_code == 201
    problem(epayment_api.get(f"/epayment/v1/payments/{reference}", msn="654321"), 403)
    assert epayment_api.payment(reference, keys=other)["amount"]["currency"] == "EUR"
    assert epayment_api.payment(reference)["amount"]["currency"] == "DKK"


def test_token_headers_are_spelt_with_underscores(epayment_api, epayment_emulator):
    # API.md 3.2: client_id and client_secret. Werkzeug drops such headers; the emulator's server keeps them
    # apart, so that a client sending client-id (a dash) learns it here and not only in production.
    demo = epayment_emulator.demo
    response = epayment_api.http.post(epayment_api.base + "/accesstoken/get", timeout=5, headers={
        "client-id": demo.client_id, "client-secret": demo.client_secret,
        "Ocp-Apim-Subscription-Key": demo.subscription_key})
    epayment_api.contract.check(response, validate_request=False)
    assert response.status_code == 400 and "underscores" in response.json()["error_description"]
