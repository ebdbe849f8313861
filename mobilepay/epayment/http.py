"""What every Vipps MobilePay API call shares: headers, token renewal, retries, Problem errors.

Network errors, 5xx and the busy answers 423/429 are retried by the transport with the same
request (and so the same Idempotency-Key, API.md 5 and 9; a Retry-After of up to a second is
waited out, a longer one comes back in the error's ``retry_after``); a 401 renews the token once
and repeats once (API.md 3.2).
"""

import logging

import pydantic
import requests

from ..errors import MobilePayResponseError, MobilePayValidationError
from ..transport import BUSY_STATUSES, RETRY_STATUSES, make_session, network_error, retry_after_seconds
from .auth import AccessTokenProvider
from .errors import error_for
from .schemas import MAX_IDEMPOTENCY_KEY, Problem

_logger = logging.getLogger(__name__)


def check_idempotency_key(key):
    if not isinstance(key, str) or not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise MobilePayValidationError(f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} printable characters.")
    return key


def model(cls, **values):
    try:
        return cls(**values)
    except pydantic.ValidationError as exc:
        raise MobilePayValidationError.from_pydantic(cls.__name__, exc) from None


class VippsApi:
    """Base of the ePayment, Webhooks and QR clients of one sales unit."""

    def __init__(self, config, session=None, tokens=None):
        self.config = config
        self.session = session or make_session(config.max_retries, config.backoff_factor,
                                               RETRY_STATUSES | BUSY_STATUSES)
        self.tokens = tokens or AccessTokenProvider(
            config.hosts.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            subscription_key=config.subscription_key,
            msn=config.msn,
            system_headers=config.system_headers(),
            session=self.session,
            timeout=config.timeout,
        )

    def __repr__(self):
        return f"{type(self).__name__}({self.config.hosts.name}, msn={self.config.msn!r})"

    def _headers(self, token, idempotency_key, has_body, accept):
        headers = {
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": self.config.subscription_key,
            "Merchant-Serial-Number": self.config.msn,
            "Accept": accept,
            **self.config.system_headers(),
        }
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _send(self, method, url, token, body, params, idempotency_key, accept):
        try:
            return self.session.request(
                method, url, headers=self._headers(token, idempotency_key, body is not None, accept),
                json=body, params=params, timeout=self.config.timeout,
            )
        except requests.RequestException as exc:
            raise network_error(exc, f"{method} {url.split('?')[0]}", self.config.timeout) from None

    def call(self, method, url, *, body=None, params=None, idempotency_key=None, answer=None,
             accept="application/json"):
        """One call; the answer validated into ``answer`` (a model, a ``list[model]``) or the raw JSON/None."""
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key)
        path = url.split("?")[0].replace(self.config.hosts.base, "", 1)
        token = self.tokens.token()
        response = self._send(method, url, token, body, params, idempotency_key, accept)
        if response.status_code == 401:
            self.tokens.invalidate(token)
            token = self.tokens.token()
            response = self._send(method, url, token, body, params, idempotency_key, accept)
        if not 200 <= response.status_code < 300:
            raise self._error(response, method, path)
        if answer is None:
            if not response.content or not response.content.strip():
                return None
            try:
                return response.json()
            except ValueError:
                return None
        try:
            raw = response.json()
        except ValueError:
            raise MobilePayResponseError(response.status_code, message="the answer was not JSON",
                                         method=method, path=path) from None
        try:
            return pydantic.TypeAdapter(answer).validate_python(raw)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err.get('loc', ())) or 'body'}: {err.get('msg', 'invalid')}"
                for err in exc.errors(include_url=False, include_input=False)[:3]
            )
            raise MobilePayResponseError(response.status_code, message=f"the answer could not be understood "
                                         f"({problems})", method=method, path=path) from None

    @staticmethod
    def _error(response, method, path):
        problem = None
        try:
            raw = response.json()
            if isinstance(raw, dict):
                problem = Problem.model_validate(raw)
        except (ValueError, pydantic.ValidationError):
            problem = None
        error = error_for(response.status_code, problem, method, path,
                          retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        _logger.info("Vipps MobilePay %s %s answered HTTP %s code %s trace %s", method, path,
                     response.status_code, error.code, error.correlation_id)
        return error
