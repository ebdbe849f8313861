"""Integrator Authentication of the emulator: token endpoint, discovery, bearer checks (API.md section 3)."""

import base64
import json

TOKEN_PATH = "/integrator-authentication/connect/token"


def _claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_with_basic_credentials(api, emulator):
    response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "client_credentials"},
                             auth=(api.client_id, api.client_secret))
    api.contract.check(response)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3700
    assert body["scope"] == "integrator_scope"
    assert body["access_token"].count(".") == 2  # JWT-shaped
    assert _claims(body["access_token"])["client_id"] == api.client_id
    assert response.headers["Cache-Control"] == "no-store"


def test_token_with_client_secret_post(api):
    response = api.http.post(api.base + TOKEN_PATH, data={
        "grant_type": "client_credentials", "client_id": api.client_id, "client_secret": api.client_secret})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert api.get("/pos/v10/stores", token=token).status_code == 200


def test_token_expiry_follows_the_setting(api, emulator):
    emulator.settings.token_expires_in_s = 120
    response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "client_credentials"},
                             auth=(api.client_id, api.client_secret))
    assert response.json()["expires_in"] == 120


def test_bad_credentials_are_refused(api):
    for auth in ((api.client_id, "wrong"), ("unknown-client", api.client_secret)):
        response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=auth)
        api.contract.check(response)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "client_credentials"},
                             headers={"Authorization": "Basic !!!not-base64"})
    assert response.status_code == 401


def test_grant_type_is_checked(api):
    response = api.http.post(api.base + TOKEN_PATH, data={}, auth=(api.client_id, api.client_secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    response = api.http.post(api.base + TOKEN_PATH, data={"grant_type": "password"},
                             auth=(api.client_id, api.client_secret))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_discovery_and_jwks(api):
    response = api.http.get(api.base + "/integrator-authentication/.well-known/openid-configuration")
    api.contract.check(response)
    body = response.json()
    assert body["token_endpoint"] == api.base + TOKEN_PATH
    assert body["jwks_uri"] == api.base + "/integrator-authentication/.well-known/openid-configuration/jwks"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert body["scopes_supported"] == ["integrator_scope", "offline_access"]
    response = api.http.get(body["jwks_uri"])
    api.contract.check(response)
    assert response.json() == {"keys": []}


def test_missing_or_bad_bearer_token_is_401(api):
    for token in (None, "garbage", "a.b.c", api.default_token[:-2] + "xx"):
        response = api.get("/pos/v10/stores", token=token, check_request=token is not None)
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/pos/v10/stores", headers={"Authorization": "Basic " + api.default_token})
    assert response.status_code == 401


def test_token_expires_by_the_emulator_clock(api, emulator):
    token = api.token()
    assert api.get("/pos/v10/stores", token=token).status_code == 200
    emulator.advance_clock(3700 - 5)
    assert api.get("/pos/v10/stores", token=token).status_code == 200
    emulator.advance_clock(10)
    assert api.get("/pos/v10/stores", token=token).status_code == 401
    assert api.get("/pos/v10/stores", token=api.token()).status_code == 200


def test_token_of_a_removed_integrator_is_refused(api, emulator):
    emulator.add_integrator("temporary-client", "s3cret")
    token = api.token("temporary-client", "s3cret")
    assert api.get("/pos/v10/stores", token=token).status_code == 200
    emulator.reset()
    assert api.get("/pos/v10/stores", token=token).status_code == 401
    # Tokens of the seeded demo integrator survive a reset.
    assert api.get("/pos/v10/stores").status_code == 200


def test_merchant_bound_token_needs_no_vat_header(api, error):
    token = api.token(merchant_vat="DK90000028")
    assert _claims(token)["merchant_vat"] == "DK90000028"
    response = api.get("/pos/v10/stores", token=token, vat=None)
    assert response.status_code == 200
    assert response.json()["storeIds"] == [api.store_id]
    # The same VAT in the header is fine; another one is refused as an invalid VAT header.
    assert api.get("/pos/v10/stores", token=token, vat="DK90000028").status_code == 200
    error(api.get("/pos/v10/stores", token=token, vat="FI90000040"), 400, "1159")


def test_invalid_merchant_vat_claim_is_1182(api, error):
    token = api.token(merchant_vat="DK-90000028", check_request=False)  # the pre-2020 format
    error(api.get("/pos/v10/stores", token=token, vat=None), 400, "1182")
    error(api.get("/pos/v10/stores", token=token), 400, "1182")


def test_ibm_client_id_is_ignored_unless_required(api, emulator):
    assert api.get("/pos/v10/stores", headers={"X-IBM-Client-Id": "anything"}).status_code == 200
    emulator.settings.require_ibm_client_id = True
    assert api.get("/pos/v10/stores").status_code == 401
    assert api.get("/pos/v10/stores", headers={"X-IBM-Client-Id": "someone-else"}).status_code == 401
    assert api.get("/pos/v10/stores", headers={"X-IBM-Client-Id": api.client_id}).status_code == 200
