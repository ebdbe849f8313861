"""Typed client of the MobilePay Point of Sale API v10 (every endpoint of ``pos.yaml``).

Every method validates its input with the pydantic request models before any
HTTP call (``MobilePayValidationError``), sends the headers of API.md section 4,
and turns error answers into typed ``MobilePayApiError`` subclasses that carry
the HTTP status, MobilePay's error code, its message and the correlation id.

The four create calls take an ``idempotency_key`` from the caller, so the
caller can store it durably before the call and reuse it on a retry.
"""

import logging
from dataclasses import dataclass, field
from typing import Optional

import pydantic
import requests

from . import formats
from .auth import TokenProvider
from .environments import Endpoints
from .errors import (
    SIMULATION_REFUSALS,
    MobilePayNotFound,
    MobilePayResponseError,
    MobilePaySimulationRefused,
    MobilePayValidationError,
    api_error_class,
)
from .polling import PollGate
from .schemas import (
    AcceptPaymentRequest,
    CancelPaymentByUserRequest,
    CapturePaymentRequest,
    CheckIn,
    CreatePosRequest,
    CreateRefundRequest,
    ErrorBody,
    InitiatePaymentRequest,
    Payment,
    PaymentCreated,
    PaymentIds,
    PaymentReadyRequest,
    PointOfSale,
    PosCreated,
    PosIds,
    PreparePaymentRequest,
    Refund,
    RefundCreated,
    RefundIds,
    Store,
    StoreIds,
    StoreList,
    UserCheckInRequest,
)
from .transport import make_session, network_error

_logger = logging.getLogger(__name__)

DEFAULT_SYSTEM_NAME = "Odoo pos_mobilepay"
SIMULATION_PATHS = ("/checkin", "/acceptpayment", "/cancelpaymentbyuser")
DEFAULT_SYSTEM_VERSION = "19.0.1"


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to talk to one merchant's MobilePay account.

    ``api_key`` is the ``X-IBM-Client-Id`` value (defaults to the client id).
    ``send_system_name`` also sends the obsolete ``X-MobilePay-Client-System-Name``
    header (off by default: API.md section 4 says clients should not send it; it was
    dropped on 2020-03-27).
    """

    endpoints: Endpoints
    client_id: str
    client_secret: str = field(repr=False)
    merchant_vat: str
    api_key: Optional[str] = None
    system_name: str = DEFAULT_SYSTEM_NAME
    system_version: str = DEFAULT_SYSTEM_VERSION
    send_system_name: bool = False
    bind_token_to_merchant: bool = False
    write_timeout: float = 2.0  # POST and DELETE (API.md 11.4)
    read_timeout: float = 0.5  # GET, polling or not
    max_retries: int = 2
    backoff_factor: float = 0.2

    def __post_init__(self):
        problems = []
        if not self.client_id:
            problems.append("the client id is missing")
        if not self.client_secret:
            problems.append("the client secret is missing")
        for label, check, value in (
            ("merchant VAT number", formats.check_vat_number, self.merchant_vat),
            ("client system version", formats.check_system_version, self.system_version),
            ("client system name", formats.check_text, self.system_name),
        ):
            try:
                check(value)
            except ValueError as exc:
                problems.append(f"the {label} {exc}")
        if problems:
            raise MobilePayValidationError("Invalid MobilePay settings: " + "; ".join(problems) + ".")


def _model(cls, **values):
    try:
        return cls(**values)
    except pydantic.ValidationError as exc:
        raise MobilePayValidationError.from_pydantic(cls.__name__, exc) from None


def _guid(value, label):
    try:
        return formats.check_guid(value)
    except ValueError as exc:
        raise MobilePayValidationError(f"Invalid {label}: {exc}") from None


class MobilePayPosClient:
    """One merchant's connection to the PoS API v10."""

    def __init__(self, config, session=None, token_provider=None, poll_gate=None):
        self.config = config
        self.session = session or make_session(config.max_retries, config.backoff_factor)
        self.tokens = token_provider or TokenProvider(
            config.endpoints.token_url,
            config.client_id,
            config.client_secret,
            merchant_vat=config.merchant_vat if config.bind_token_to_merchant else None,
            api_key=config.api_key or config.client_id,
            session=self.session,
            timeout=config.write_timeout,
        )
        self.poll_gate = poll_gate or PollGate()
        self._simulation_session = None

    def __repr__(self):
        return f"MobilePayPosClient({self.config.endpoints.name}, client_id={self.config.client_id!r})"

    # ------------------------------------------------------------------ plumbing

    def _headers(self, token, idempotency_key=None, has_body=False):
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "X-IBM-Client-Id": self.config.api_key or self.config.client_id,
            "X-MobilePay-Merchant-VAT-Number": self.config.merchant_vat,
            "X-MobilePay-Client-System-Version": self.config.system_version,
        }
        if self.config.send_system_name:
            headers["X-MobilePay-Client-System-Name"] = self.config.system_name
        if idempotency_key is not None:
            headers["X-MobilePay-Idempotency-Key"] = idempotency_key
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _send(self, method, url, token, body, params, idempotency_key, session=None):
        timeout = self.config.read_timeout if method == "GET" else self.config.write_timeout
        try:
            return (session or self.session).request(
                method,
                url,
                headers=self._headers(token, idempotency_key, body is not None),
                json=body,
                params=params,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise network_error(exc, f"{method} {url.split('?')[0]}", timeout) from None

    def _call(
        self,
        method,
        path,
        *,
        body=None,
        params=None,
        idempotency_key=None,
        base=None,
        authenticate=True,
        answer=None,
        session=None,
    ):
        """Send one API call; return the parsed JSON answer (None for an empty 2xx body).

        With ``answer`` (a pydantic model), the answer is validated into that model, and
        anything else (an empty body, another shape, an unknown status) raises
        ``MobilePayResponseError``: MobilePay answered, but what it did is unknown.
        """
        url = (base or self.config.endpoints.api_base) + path
        token = self.tokens.token() if authenticate else None
        response = self._send(method, url, token, body, params, idempotency_key, session)
        if response.status_code == 401 and authenticate:
            # The token may have been revoked or expired early: renew once, retry once.
            self.tokens.invalidate(token)
            token = self.tokens.token()
            response = self._send(method, url, token, body, params, idempotency_key, session)
        raw = self._read(response, method, path)
        if answer is None:
            return raw
        return self._parse(answer, raw, response.status_code, method, path)

    @staticmethod
    def _parse(model, raw, status, method, path):
        try:
            return model.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err.get('loc', ())) or 'body'}: {err.get('msg', 'invalid')}"
                for err in exc.errors(include_url=False, include_input=False)[:3]
            )
            raise MobilePayResponseError(
                status, message=f"the answer could not be understood ({problems})", method=method, path=path
            ) from None

    @staticmethod
    def _read(response, method, path):
        if 200 <= response.status_code < 300:
            if not response.content or not response.content.strip():
                return None
            try:
                return response.json()
            except ValueError:
                raise MobilePayResponseError(
                    response.status_code, message="the answer was not JSON", method=method, path=path
                ) from None
        error = ErrorBody()
        try:
            raw = response.json()
            if isinstance(raw, dict):
                # The prose docs write CorrelationId, the spec correlationId: read keys case-insensitively.
                lowered = {str(k).lower(): v for k, v in raw.items()}
                error = ErrorBody(
                    code=lowered.get("code"),
                    message=lowered.get("message"),
                    correlation_id=lowered.get("correlationid"),
                    origin=lowered.get("origin"),
                )
        except ValueError:
            pass
        correlation_id = error.correlation_id or response.headers.get("CorrelationId")
        _logger.info(
            "MobilePay %s %s answered HTTP %s code %s correlation %s",
            method,
            path,
            response.status_code,
            error.code,
            correlation_id,
        )
        error_class = api_error_class(response.status_code)
        if response.status_code == 500 and error.code in SIMULATION_REFUSALS and path in SIMULATION_PATHS:
            error_class = MobilePaySimulationRefused
        raise error_class(
            response.status_code,
            code=error.code,
            message=error.message,
            correlation_id=correlation_id,
            origin=error.origin,
            method=method,
            path=path,
        )

    def _poll(self, key, path, answer):
        """A polling GET: wait for the last pollDelayInMs, then remember the new one."""
        self.poll_gate.wait(key)
        result = self._call("GET", path, answer=answer)
        self.poll_gate.record(key, result.poll_delay_in_ms)
        return result

    @staticmethod
    def _key(idempotency_key):
        if idempotency_key is None:
            raise MobilePayValidationError(
                "An idempotency key is required: generate one (new_idempotency_key()) and store it before the call."
            )
        try:
            return formats.check_text(idempotency_key)
        except ValueError as exc:
            raise MobilePayValidationError(f"Invalid idempotency key: {exc}") from None

    # ------------------------------------------------------------------ authentication

    def get_access_token(self):
        """A valid access token (cached; renewed when it is about to expire)."""
        return self.tokens.token()

    def discovery(self):
        """The integrator-authentication OpenID discovery document."""
        url = self.config.endpoints.discovery_url
        try:
            response = self.session.get(url, timeout=self.config.read_timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise network_error(exc, f"GET {url}", self.config.read_timeout) from None
        return self._read(response, "GET", "/.well-known/openid-configuration")

    # ------------------------------------------------------------------ stores

    def list_store_ids(self, merchant_brand_id=None, merchant_location_id=None):
        params = {}
        if merchant_brand_id is not None or merchant_location_id is not None:
            params = self._store_filter(merchant_brand_id, merchant_location_id)
        return self._call("GET", "/stores", params=params, answer=StoreIds).store_ids

    def list_stores_detailed(self, merchant_brand_id=None, merchant_location_id=None):
        params = {}
        if merchant_brand_id is not None or merchant_location_id is not None:
            params = self._store_filter(merchant_brand_id, merchant_location_id)
        return self._call("GET", "/stores/detailed", params=params, answer=StoreList).root

    def get_store(self, store_id):
        return self._call("GET", f"/stores/{_guid(store_id, 'storeId')}", answer=Store)

    def find_store_id(self, merchant_brand_id, merchant_location_id):
        """The storeId of (merchantBrandId, merchantLocationId), or None when MobilePay knows no such store."""
        ids = self.list_store_ids(merchant_brand_id, merchant_location_id)
        return ids[0] if ids else None

    @staticmethod
    def _store_filter(merchant_brand_id, merchant_location_id):
        problems = []
        try:
            formats.check_merchant_brand_id(merchant_brand_id)
        except ValueError as exc:
            problems.append(f"merchantBrandId {exc}")
        try:
            formats.check_merchant_location_id(merchant_location_id)
        except ValueError as exc:
            problems.append(f"merchantLocationId {exc}")
        if problems:
            raise MobilePayValidationError("Invalid store filter: " + "; ".join(problems))
        return {"merchantBrandId": merchant_brand_id, "merchantLocationId": merchant_location_id}

    # ------------------------------------------------------------------ points of sale

    def create_pos(
        self,
        *,
        merchant_pos_id,
        store_id,
        name,
        idempotency_key,
        beacon_id=None,
        callback_alias=None,
        supported_beacon_types=("QR",),
        require_payment_before_checkin=False,
    ):
        """Register a PoS; returns its posId. A null beacon id lets MobilePay generate one."""
        body = _model(
            CreatePosRequest,
            merchant_pos_id=merchant_pos_id,
            store_id=store_id,
            name=name,
            beacon_id=beacon_id,
            callback_alias=callback_alias,
            supported_beacon_types=list(supported_beacon_types),
            require_payment_before_checkin=require_payment_before_checkin,
        )
        key = self._key(idempotency_key)
        return self._call("POST", "/pointofsales", body=body.to_json(), idempotency_key=key, answer=PosCreated).pos_id

    def get_pos(self, pos_id):
        return self._call("GET", f"/pointofsales/{_guid(pos_id, 'posId')}", answer=PointOfSale)

    def find_pos_ids(self, *, store_id=None, beacon_id=None, merchant_pos_id=None):
        params = {}
        if store_id is not None:
            params["storeId"] = _guid(store_id, "storeId")
        if beacon_id is not None:
            try:
                params["beaconId"] = formats.check_beacon_id(beacon_id)
            except ValueError as exc:
                raise MobilePayValidationError(f"Invalid beaconId: {exc}") from None
        if merchant_pos_id is not None:
            try:
                params["merchantPosId"] = formats.check_text(merchant_pos_id)
            except ValueError as exc:
                raise MobilePayValidationError(f"Invalid merchantPosId: {exc}") from None
        if not params:
            raise MobilePayValidationError("Give at least one of storeId, beaconId or merchantPosId to find a PoS.")
        return self._call("GET", "/pointofsales", params=params, answer=PosIds).pos_ids

    def delete_pos(self, pos_id, missing_ok=True):
        """Offboard a PoS. A 404 (already deleted) counts as success unless ``missing_ok`` is False."""
        try:
            self._call("DELETE", f"/pointofsales/{_guid(pos_id, 'posId')}")
        except MobilePayNotFound:
            if not missing_ok:
                raise

    def get_checkin(self, pos_id):
        """The check-in on a PoS (a polling endpoint: respects pollDelayInMs)."""
        pos_id = _guid(pos_id, "posId")
        return self._poll(("checkin", pos_id), f"/pointofsales/{pos_id}/checkin", CheckIn)

    # ------------------------------------------------------------------ payments

    def initiate_payment(
        self,
        *,
        pos_id,
        order_id,
        amount,
        currency_code,
        idempotency_key,
        planned_capture_delay="None",
        merchant_payment_label=None,
        restrictions=None,
    ):
        """Start a payment with a known amount; returns its paymentId."""
        body = _model(
            InitiatePaymentRequest,
            pos_id=pos_id,
            order_id=order_id,
            amount=amount,
            currency_code=currency_code,
            planned_capture_delay=planned_capture_delay,
            merchant_payment_label=merchant_payment_label,
            restrictions=restrictions,
        )
        key = self._key(idempotency_key)
        answer = self._call("POST", "/payments", body=body.to_json(), idempotency_key=key, answer=PaymentCreated)
        return answer.payment_id

    def prepare_payment(self, *, pos_id, order_id, idempotency_key):
        """Start a payment whose amount comes later (``payment_ready``); returns its paymentId."""
        body = _model(PreparePaymentRequest, pos_id=pos_id, order_id=order_id)
        key = self._key(idempotency_key)
        answer = self._call(
            "POST", "/payments/prepare", body=body.to_json(), idempotency_key=key, answer=PaymentCreated
        )
        return answer.payment_id

    def payment_ready(
        self,
        payment_id,
        *,
        amount,
        currency_code,
        planned_capture_delay="None",
        merchant_payment_label=None,
        restrictions=None,
    ):
        body = _model(
            PaymentReadyRequest,
            amount=amount,
            currency_code=currency_code,
            planned_capture_delay=planned_capture_delay,
            merchant_payment_label=merchant_payment_label,
            restrictions=restrictions,
        )
        self._call("POST", f"/payments/{_guid(payment_id, 'paymentId')}/ready", body=body.to_json())

    def get_payment(self, payment_id):
        """The payment's state (a polling endpoint: respects pollDelayInMs)."""
        payment_id = _guid(payment_id, "paymentId")
        return self._poll(("payment", payment_id), f"/payments/{payment_id}", Payment)

    def find_payment_ids(self, *, pos_id=None, order_id=None, captured=False):
        """Active or Reserved payments (or Captured ones with ``captured=True``) of a PoS and/or order."""
        params = {}
        if pos_id is not None:
            params["posId"] = _guid(pos_id, "posId")
        if order_id is not None:
            params["orderId"] = order_id
        if not params:
            raise MobilePayValidationError("Give a posId or an orderId to find payments.")
        if captured:
            params["state"] = "Captured"
        return self._call("GET", "/payments", params=params, answer=PaymentIds).payment_ids

    def capture_payment(self, payment_id, amount):
        """Capture a Reserved payment, fully or (when possible) partially."""
        body = _model(CapturePaymentRequest, amount=amount)
        self._call("POST", f"/payments/{_guid(payment_id, 'paymentId')}/capture", body=body.to_json())

    def cancel_payment(self, payment_id):
        self._call("POST", f"/payments/{_guid(payment_id, 'paymentId')}/cancel")

    # ------------------------------------------------------------------ refunds

    def create_refund(self, *, payment_id, refund_order_id, amount, currency_code, idempotency_key):
        """Start a refund of a Captured payment; returns its refundId (then poll, then capture)."""
        body = _model(
            CreateRefundRequest,
            payment_id=payment_id,
            refund_order_id=refund_order_id,
            amount=amount,
            currency_code=currency_code,
        )
        key = self._key(idempotency_key)
        return self._call("POST", "/refunds", body=body.to_json(), idempotency_key=key, answer=RefundCreated).refund_id

    def get_refund(self, refund_id):
        """The refund's state (a polling endpoint: respects pollDelayInMs)."""
        refund_id = _guid(refund_id, "refundId")
        return self._poll(("refund", refund_id), f"/refunds/{refund_id}", Refund)

    def find_refund_ids(self, payment_id):
        params = {"paymentId": _guid(payment_id, "paymentId")}
        return self._call("GET", "/refunds", params=params, answer=RefundIds).refund_ids

    def capture_refund(self, refund_id):
        self._call("POST", f"/refunds/{_guid(refund_id, 'refundId')}/capture")

    def cancel_refund(self, refund_id):
        self._call("POST", f"/refunds/{_guid(refund_id, 'refundId')}/cancel")

    # ------------------------------------------------------------------ user simulation (sandbox, emulator)

    def _simulation(self, path, body):
        base = self.config.endpoints.user_simulation_base
        if not base:
            raise MobilePayValidationError(
                f"The {self.config.endpoints.name} environment has no user-simulation API (sandbox and emulator only)."
            )
        if self._simulation_session is None:
            # A refused customer action is a 500 with a 2001-2007 code: never repeated.
            self._simulation_session = make_session(self.config.max_retries, self.config.backoff_factor, ())
        return self._call("POST", path, body=body.to_json(), base=base, session=self._simulation_session)

    def simulate_checkin(self, beacon_id, phone_number):
        self._simulation("/checkin", _model(UserCheckInRequest, beacon_id=beacon_id, phone_number=phone_number))

    def simulate_accept_payment(self, beacon_id, phone_number):
        self._simulation(
            "/acceptpayment", _model(AcceptPaymentRequest, beacon_id=beacon_id, phone_number=phone_number)
        )

    def simulate_cancel_payment_by_user(self, beacon_id):
        self._simulation("/cancelpaymentbyuser", _model(CancelPaymentByUserRequest, beacon_id=beacon_id))


def new_idempotency_key():
    """A fresh idempotency key (a GUID). Store it before the call that uses it."""
    return formats.new_guid()

