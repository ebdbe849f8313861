"""Integrator Authentication: token endpoint, discovery document, JWKS (API.md section 3)."""

import base64
import binascii
from urllib.parse import unquote_plus

from werkzeug.routing import Rule

from .responses import json_response
from .tokens import SCOPE

AUTH_BASE = "/integrator-authentication"


def _oauth_error(error, status, description):
    response = json_response({"error": error, "error_description": description}, status=status)
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="integrator-authentication"'
    return response


def _client_credentials(request):
    """client_secret_basic (Authorization: Basic, RFC 6749 section 2.3.1) or client_secret_post form fields."""
    auth = request.headers.get("Authorization", "")
    scheme, _, encoded = auth.partition(" ")
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return None, None
        return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


def _authenticated_client(state, client_id, secret):
    """RFC 6749 form-encodes id and secret inside Basic credentials; most clients do not: accept both."""
    if not client_id or secret is None:
        return None
    for cid, sec in ((client_id, secret), (unquote_plus(client_id), unquote_plus(secret))):
        integrator = state.integrators.get(cid)
        if integrator is not None and integrator.client_secret == sec:
            return integrator
    return None


def token(call):
    request = call.request
    client_id, secret = _client_credentials(request)
    integrator = _authenticated_client(call.state, client_id, secret)
    if integrator is None:
        return _oauth_error("invalid_client", 401, "Unknown client or wrong secret")
    grant_type = request.form.get("grant_type")
    if not grant_type:
        return _oauth_error("invalid_request", 400, "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type", 400, "Only client_credentials is supported")
    # The merchant_vat value is copied into the token as it is; PoS calls check it (1182).
    merchant_vat = request.form.get("merchant_vat") or None
    expires_in = call.settings.token_expires_in_s
    access_token = call.emulator.tokens.issue(integrator.client_id, _issuer(request), expires_in, merchant_vat)
    response = json_response(
        {"access_token": access_token, "expires_in": expires_in, "token_type": "Bearer", "scope": SCOPE}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _issuer(request):
    return request.host_url.rstrip("/") + AUTH_BASE


def discovery(call):
    issuer = _issuer(call.request)
    return json_response({
        "issuer": issuer,
        "jwks_uri": issuer + "/.well-known/openid-configuration/jwks",
        "token_endpoint": issuer + "/connect/token",
        "scopes_supported": [SCOPE, "offline_access"],
        "claims_supported": [],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        # The emulator signs with HS256 and publishes no key (see tokens.py).
        "id_token_signing_alg_values_supported": ["HS256"],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["plain", "S256"],
    })


def jwks(call):
    return json_response({"keys": []})


def rules():
    return [
        Rule(AUTH_BASE + "/connect/token", methods=["POST"], endpoint=token),
        Rule(AUTH_BASE + "/.well-known/openid-configuration", methods=["GET"], endpoint=discovery),
        Rule(AUTH_BASE + "/.well-known/openid-configuration/jwks", methods=["GET"], endpoint=jwks),
    ]
