"""Typed client of the MobilePay Point of Sale API v10 (every endpoint of ``pos.yaml``).

Every method validates its input with the pydantic request models before any
HTTP call (``MobilePayValidationError``), sends the headers of API.md section 4,
and turns error answers into typed ``MobilePayApiError`` subclasses that carry
the HTTP status, MobilePay's error code, its message and the correlation id.

The four create calls take an ``idempotency_key`` from the caller, so the
caller can store it durably before the call and reuse it on a retry.
"""

import logging

import requests

from .. import formats
from ..errors import MobilePayNotFound, MobilePayValidationError
from ..idempotency import new_idempotency_key  # noqa: F401 - the client's callers import it from here
from ..polling import PollGate
from ..transport import make_session, network_error
from . import formats as v10_formats
from .answers import parse_answer, read_answer
from .auth import TokenProvider
from .config import DEFAULT_SYSTEM_NAME, DEFAULT_SYSTEM_VERSION, ClientConfig, valid_guid, valid_model  # noqa: F401
from .schemas import (
    AcceptPaymentRequest,
    CancelPaymentByUserRequest,
    CapturePaymentRequest,
    CheckIn,
    CreatePosRequest,
    CreateRefundRequest,
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

_logger = logging.getLogger(__name__)

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
        raw = read_answer(response, method, path)
        if answer is None:
            return raw
        return parse_answer(answer, raw, response.status_code, method, path)

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
        return read_answer(response, "GET", "/.well-known/openid-configuration")

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
        return self._call("GET", f"/stores/{valid_guid(store_id, 'storeId')}", answer=Store)

    def find_store_id(self, merchant_brand_id, merchant_location_id):
        """The storeId of (merchantBrandId, merchantLocationId), or None when MobilePay knows no such store."""
        ids = self.list_store_ids(merchant_brand_id, merchant_location_id)
        return ids[0] if ids else None

    @staticmethod
    def _store_filter(merchant_brand_id, merchant_location_id):
        problems = []
        try:
            v10_formats.check_merchant_brand_id(merchant_brand_id)
        except ValueError as exc:
            problems.append(f"merchantBrandId {exc}")
        try:
            v10_formats.check_merchant_location_id(merchant_location_id)
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
        body = valid_model(
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
        return self._call("GET", f"/pointofsales/{valid_guid(pos_id, 'posId')}", answer=PointOfSale)

    def find_pos_ids(self, *, store_id=None, beacon_id=None, merchant_pos_id=None):
        params = {}
        if store_id is not None:
            params["storeId"] = valid_guid(store_id, "storeId")
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
            self._call("DELETE", f"/pointofsales/{valid_guid(pos_id, 'posId')}")
        except MobilePayNotFound:
            if not missing_ok:
                raise

    def get_checkin(self, pos_id):
        """The check-in on a PoS (a polling endpoint: respects pollDelayInMs)."""
        pos_id = valid_guid(pos_id, "posId")
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
        body = valid_model(
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
        body = valid_model(PreparePaymentRequest, pos_id=pos_id, order_id=order_id)
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
        body = valid_model(
            PaymentReadyRequest,
            amount=amount,
            currency_code=currency_code,
            planned_capture_delay=planned_capture_delay,
            merchant_payment_label=merchant_payment_label,
            restrictions=restrictions,
        )
        self._call("POST", f"/payments/{valid_guid(payment_id, 'paymentId')}/ready", body=body.to_json())

    def get_payment(self, payment_id):
        """The payment's state (a polling endpoint: respects pollDelayInMs)."""
        payment_id = valid_guid(payment_id, "paymentId")
        return self._poll(("payment", payment_id), f"/payments/{payment_id}", Payment)

    def find_payment_ids(self, *, pos_id=None, order_id=None, captured=False):
        """Active or Reserved payments (or Captured ones with ``captured=True``) of a PoS and/or order."""
        params = {}
        if pos_id is not None:
            params["posId"] = valid_guid(pos_id, "posId")
        if order_id is not None:
            params["orderId"] = order_id
        if not params:
            raise MobilePayValidationError("Give a posId or an orderId to find payments.")
        if captured:
            params["state"] = "Captured"
        return self._call("GET", "/payments", params=params, answer=PaymentIds).payment_ids

    def capture_payment(self, payment_id, amount):
        """Capture a Reserved payment, fully or (when possible) partially."""
        body = valid_model(CapturePaymentRequest, amount=amount)
        self._call("POST", f"/payments/{valid_guid(payment_id, 'paymentId')}/capture", body=body.to_json())

    def cancel_payment(self, payment_id):
        self._call("POST", f"/payments/{valid_guid(payment_id, 'paymentId')}/cancel")

    # ------------------------------------------------------------------ refunds

    def create_refund(self, *, payment_id, refund_order_id, amount, currency_code, idempotency_key):
        """Start a refund of a Captured payment; returns its refundId (then poll, then capture)."""
        body = valid_model(
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
        refund_id = valid_guid(refund_id, "refundId")
        return self._poll(("refund", refund_id), f"/refunds/{refund_id}", Refund)

    def find_refund_ids(self, payment_id):
        params = {"paymentId": valid_guid(payment_id, "paymentId")}
        return self._call("GET", "/refunds", params=params, answer=RefundIds).refund_ids

    def capture_refund(self, refund_id):
        self._call("POST", f"/refunds/{valid_guid(refund_id, 'refundId')}/capture")

    def cancel_refund(self, refund_id):
        self._call("POST", f"/refunds/{valid_guid(refund_id, 'refundId')}/cancel")

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
        self._simulation("/checkin", valid_model(UserCheckInRequest, beacon_id=beacon_id, phone_number=phone_number))

    def simulate_accept_payment(self, beacon_id, phone_number):
        self._simulation(
            "/acceptpayment", valid_model(AcceptPaymentRequest, beacon_id=beacon_id, phone_number=phone_number)
        )

    def simulate_cancel_payment_by_user(self, beacon_id):
        self._simulation("/cancelpaymentbyuser", valid_model(CancelPaymentByUserRequest, beacon_id=beacon_id))
