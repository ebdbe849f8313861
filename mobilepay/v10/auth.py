"""Integrator authentication: OAuth2 client-credentials tokens (API.md section 3).

Tokens are cached per (token URL, client id, merchant VAT, secret), shared by
every client in the process, and renewed when fewer than ``refresh_margin``
seconds remain. The client asks for a fresh token once when the API answers 401.
"""

import hashlib
import logging
import time

import requests

from ..errors import MobilePayAuthenticationError, api_error_class
from ..token_cache import TokenCache
from ..transport import network_error
from .schemas import AccessToken

_logger = logging.getLogger(__name__)

# (token, expires_at) per credentials.
_CACHE = TokenCache()


def clear_token_cache():
    _CACHE.clear()


class TokenProvider:
    """Gets, caches and renews access tokens for one set of integrator credentials."""

    def __init__(
        self,
        token_url,
        client_id,
        client_secret,
        merchant_vat=None,
        api_key=None,
        session=None,
        timeout=2.0,
        refresh_margin=60,
        clock=time.time,
    ):
        if not client_id or not client_secret:
            raise ValueError("MobilePay needs a client id and a client secret")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.merchant_vat = merchant_vat
        self.api_key = api_key
        self.session = session or requests.Session()
        self.timeout = timeout
        self.refresh_margin = refresh_margin
        self.clock = clock
        secret_digest = hashlib.sha256(client_secret.encode()).hexdigest()
        self._key = (token_url, client_id, merchant_vat or "", secret_digest)

    def __repr__(self):
        return f"TokenProvider(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def token(self):
        """A valid bearer token, from the cache when it has enough life left."""
        cached = _CACHE.get(self._key)
        if cached and cached[1] - self.refresh_margin > self.clock():
            return cached[0]
        return self.refresh()

    def invalidate(self, token=None):
        """Forget the cached token (only if it is still ``token``, when given)."""
        _CACHE.forget(self._key, token)

    def refresh(self):
        """Request a new token now and cache it."""
        answer = self.request_token()
        _CACHE.put(self._key, (answer.access_token, self.clock() + answer.expires_in))
        return answer.access_token

    def request_token(self):
        form = {"grant_type": "client_credentials"}
        if self.merchant_vat:
            form["merchant_vat"] = self.merchant_vat
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-IBM-Client-Id"] = self.api_key
        try:
            response = self.session.post(
                self.token_url,
                data=form,
                auth=(self.client_id, self._client_secret),
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise network_error(exc, "POST /connect/token, the authentication service", self.timeout) from None
        if response.status_code != 200:
            error = None
            try:
                raw = response.json()
                error = raw.get("error") if isinstance(raw, dict) else None
            except ValueError:
                pass
            cls = api_error_class(response.status_code)
            if response.status_code in (400, 401):
                cls = MobilePayAuthenticationError
                message = f"the integrator credentials were refused ({error or 'no reason given'})"
            elif response.status_code >= 500:
                message = "MobilePay's authentication service failed; try again later"
            else:
                message = f"the token request was refused ({error or 'no reason given'})"
            _logger.warning("MobilePay token request refused: HTTP %s %s", response.status_code, error or "")
            raise cls(response.status_code, message=message, method="POST", path="/connect/token")
        try:
            return AccessToken.model_validate(response.json())
        except ValueError:
            raise MobilePayAuthenticationError(
                response.status_code, message="the token answer could not be read", method="POST", path="/connect/token"
            ) from None
