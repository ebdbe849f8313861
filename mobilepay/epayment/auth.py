"""Access tokens of ``POST /accesstoken/get`` (ePayment API.md 3.2).

Cached per (token URL, client id, MSN, secret digest) in the process, renewed when less
than a minute or a tenth of the life is left, dropped on a 401 from an API call. Tokens
and secrets are never logged.
"""

import hashlib
import logging
import time

import requests

from ..errors import MobilePayAuthenticationError, MobilePayResponseError, api_error_class
from ..token_cache import TokenCache
from ..transport import network_error
from .schemas import AccessToken

_logger = logging.getLogger(__name__)

# (token, expires_at, lifetime) per credentials.
_CACHE = TokenCache()


def clear_token_cache():
    _CACHE.clear()


class AccessTokenProvider:
    def __init__(self, token_url, *, client_id, client_secret, subscription_key, msn, system_headers=None,
                 session=None, timeout=5.0, clock=time.time):
        if not (client_id and client_secret and subscription_key):
            raise ValueError("Vipps MobilePay needs a client id, a client secret and a subscription key")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._subscription_key = subscription_key
        self.msn = msn
        self.system_headers = dict(system_headers or {})
        self.session = session or requests.Session()
        self.timeout = timeout
        self.clock = clock
        digest = hashlib.sha256(f"{client_secret}\0{subscription_key}".encode()).hexdigest()
        self._key = (token_url, client_id, msn or "", digest)
        self.requests_made = 0

    def __repr__(self):
        return f"AccessTokenProvider({self.token_url!r}, client_id={self.client_id!r}, msn={self.msn!r})"

    def token(self):
        cached = _CACHE.get(self._key)
        if cached:
            token, expires_at, lifetime = cached
            margin = max(60.0, lifetime / 10.0) if lifetime > 120 else lifetime / 10.0
            if expires_at - margin > self.clock():
                return token
        return self.refresh()

    def invalidate(self, token=None):
        _CACHE.forget(self._key, token)

    def refresh(self):
        answer = self.request_token()
        lifetime = float(answer.lifetime_seconds)
        _CACHE.put(self._key, (answer.access_token, self.clock() + lifetime, lifetime))
        return answer.access_token

    def request_token(self):
        headers = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "Ocp-Apim-Subscription-Key": self._subscription_key,
            "Accept": "application/json",
            **self.system_headers,
        }
        if self.msn:
            headers["Merchant-Serial-Number"] = self.msn
        self.requests_made += 1
        try:
            response = self.session.post(self.token_url, headers=headers, data=b"", timeout=self.timeout)
        except requests.RequestException as exc:
            raise network_error(exc, "POST /accesstoken/get", self.timeout) from None
        if response.status_code != 200:
            _logger.warning("Vipps MobilePay token request refused: HTTP %s", response.status_code)
            if response.status_code in (400, 401, 403):
                raise MobilePayAuthenticationError(
                    response.status_code,
                    message="the keys were refused (wrong client id, secret or subscription key, keys of another "
                    "sales unit than the MSN, or test keys against production or the other way round)",
                    method="POST",
                    path="/accesstoken/get",
                )
            raise api_error_class(response.status_code)(
                response.status_code, message="the token service failed; try again later",
                method="POST", path="/accesstoken/get",
            )
        try:
            answer = AccessToken.model_validate(response.json())
            if answer.token_type.lower() != "bearer" or answer.lifetime_seconds <= 0:
                raise ValueError("not a bearer token")
            return answer
        except ValueError:
            raise MobilePayResponseError(
                response.status_code, message="the token answer could not be read", method="POST",
                path="/accesstoken/get",
            ) from None
