"""Shared fixtures of the mobilepay test suite (plain pytest, no Odoo).

* ``contract``: validates a ``requests.Response`` (and the request that produced it)
  against the original ``pos.yaml`` (folder from $MOBILEPAY_SPEC_DIR, default
  ``<repo root>/../shared/mobilepay-pos-v10``); the Integrator Authentication endpoints,
  absent from ``pos.yaml``, are checked against the reconstructed ``openapi.yaml``. On a
  bare clone without those documents it checks nothing, and the run says so once.
  ``contract.check(response)`` returns None (so it can also serve as a requests response hook)
  and raises ``ContractViolation`` (an AssertionError) with the details.
* ``emulator``: a running emulator (one server per session, ``reset()`` before each test)
  with short poll delays.
* ``api``: a small ``requests`` helper bound to ``emulator`` and ``contract``, used by the
  emulator tests (it is deliberately not the project's client).
"""

import os
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from mobilepay.v10.emulator import Emulator, EmulatorSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = REPO_ROOT.parent / "shared" / "mobilepay-pos-v10"
SANDBOX = "https://api.sandbox.mobilepay.dk"


# ---------------------------------------------------------------------------------------------- spec


def _spec_dir():
    """The folder of pos.yaml and openapi.yaml, or None on a bare clone (no ../shared beside it)."""
    explicit = os.environ.get("MOBILEPAY_SPEC_DIR")
    folder = Path(explicit or DEFAULT_SPEC_DIR)
    if (folder / "pos.yaml").is_file():
        return folder
    if explicit:
        pytest.fail(f"MOBILEPAY_SPEC_DIR is set, but {folder / 'pos.yaml'} does not exist.", pytrace=False)
    _CONTRACT_SKIPPED.append(folder)
    return None


# Filled when the contract checks are skipped (said once, at the end of the run).
_CONTRACT_SKIPPED = []



@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    """Collect the repository's folders as plain folders, never as Python packages.

    The repository root is the Odoo addon (its ``__init__.py`` imports Odoo), and ``mobilepay`` and
    its API folders are packages of it: a pytest ``Package`` node would import their ``__init__.py``
    and, through them, the addon. The tests import what they test themselves."""
    if path.is_dir() and (path / "__init__.py").is_file() and REPO_ROOT in (path, *path.parents):
        return pytest.Dir.from_parent(parent, path=path)
    return None

def pytest_terminal_summary(terminalreporter):
    _epayment_summary(terminalreporter)  # defined with the ePayment fixtures below
    if _CONTRACT_SKIPPED:
        terminalreporter.write_line(
            f"SKIPPED: the contract checks against the original MobilePay documents: {_CONTRACT_SKIPPED[0]} "
            "holds no pos.yaml. The tests ran without validating their traffic against pos.yaml and "
            "openapi.yaml, and the fuzzing run against pos.yaml (test_emulator_fuzz) was skipped. To run "
            "them, set MOBILEPAY_SPEC_DIR to the folder that holds those two files (the project keeps them "
            "in shared/mobilepay-pos-v10 beside the repository)."
        )


class _AsServedBy:
    """A requests request seen as if it went to ``host_url`` (the sandbox, api.vipps.no), so that the spec's
    servers match."""

    def __init__(self, request, host_url):
        self._inner = RequestsOpenAPIRequest(request)
        self.parameters = self._inner.parameters
        self.method = self._inner.method
        self.body = self._inner.body
        self.content_type = self._inner.content_type
        self.path = self._inner.path
        self.host_url = host_url


class ContractViolation(AssertionError):
    pass


class Contract:
    """Validates traffic against pos.yaml (and the auth endpoints against openapi.yaml)."""

    AUTH_PREFIX = "/integrator-authentication/"

    def __init__(self, pos_yaml: Path, reconstruction_yaml: Path = None):
        self.pos = OpenAPI.from_dict(yaml.safe_load(pos_yaml.read_text(encoding="utf-8")))
        self.auth = None
        if reconstruction_yaml is not None and reconstruction_yaml.is_file():
            self.auth = OpenAPI.from_dict(yaml.safe_load(reconstruction_yaml.read_text(encoding="utf-8")))

    def _spec_for(self, path):
        if path.startswith(self.AUTH_PREFIX):
            if self.auth is None:
                raise ContractViolation("openapi.yaml is needed to check the auth endpoints")
            return self.auth
        return self.pos

    def check(self, response: requests.Response, validate_request: bool = True):
        """Assert that ``response`` (and, unless told otherwise, its request) follows the spec.

        Returns None, so that ``session.hooks["response"].append(lambda r, **kw: contract.check(r))`` works."""
        request = _AsServedBy(response.request, SANDBOX)
        spec = self._spec_for(request.path)
        where = f"{request.method.upper()} {request.path} -> {response.status_code}"
        _validate_exchange(spec, request, response, where, validate_request)
        return None


def _validate_exchange(spec, request, response, where, validate_request):
    """ContractViolation unless the response (and, with ``validate_request``, the request) follows ``spec``."""
    if validate_request:
        try:
            spec.validate_request(request)
        except Exception as exc:  # openapi-core raises a family of errors
            raise ContractViolation(f"request breaks the spec: {where}: {_explain(exc)}") from exc
    try:
        spec.validate_response(request, RequestsOpenAPIResponse(response))
    except Exception as exc:
        raise ContractViolation(
            f"response breaks the spec: {where}: {_explain(exc)}\nbody: {response.text[:500]}"
        ) from exc


def _explain(exc):
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 5:
        parts.append(f"{type(cause).__name__}: {cause}")
        for err in getattr(cause, "schema_errors", ()) or ():
            parts.append(f"  - {'/'.join(str(p) for p in err.absolute_path)}: {err.message}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


class NoContract:
    """Stands in for ``Contract`` on a bare clone: the behaviour is still tested, the contract is not."""

    def check(self, response, validate_request=True):
        return None


@pytest.fixture(scope="session")
def spec_folder():
    """The folder holding pos.yaml and openapi.yaml, or None on a bare clone."""
    return _spec_dir()


@pytest.fixture(scope="session")
def contract(spec_folder):
    folder = spec_folder
    if folder is None:
        return NoContract()
    return Contract(folder / "pos.yaml", folder / "openapi.yaml")


# ---------------------------------------------------------------------------------------------- emulator


@pytest.fixture(scope="session")
def emulator_server():
    emu = Emulator(EmulatorSettings.for_tests()).start("127.0.0.1", 0)
    yield emu
    emu.stop()


@pytest.fixture
def emulator(emulator_server):
    emulator_server.reset()
    yield emulator_server
    emulator_server.faults.clear()


# ---------------------------------------------------------------------------------------------- HTTP helper

AUTO = object()  # "make up a fresh idempotency key"
VERSION = "1.0.0"
DK_USER = "+4520031801"
DEBIT_USER = "+4520031802"
LOYALTY_USER = "+4520031804"
PARTIAL_USER = "+4520031805"


class Api:
    """Plain ``requests`` calls to the emulator, each checked against the spec."""

    def __init__(self, emu, contract):
        self.emu = emu
        self.contract = contract
        self.base = emu.base_url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never through a proxy
        self.client_id = emu.demo.client_id
        self.client_secret = emu.demo.client_secret
        self.vat = emu.demo.merchant_vat
        self.store_id = emu.demo.store_id
        self._token = None
        self._token_expires_at = 0.0

    # -- auth
    def token(self, client_id=None, client_secret=None, merchant_vat=None, check_request=True) -> str:
        data = {"grant_type": "client_credentials"}
        if merchant_vat:
            data["merchant_vat"] = merchant_vat
        response = self.http.post(
            self.base + "/integrator-authentication/connect/token", data=data,
            auth=(client_id or self.client_id, client_secret or self.client_secret), timeout=5,
        )
        assert response.status_code == 200, response.text
        self.contract.check(response, validate_request=check_request)
        return response.json()["access_token"]

    @property
    def default_token(self):
        """The demo integrator's token, renewed when the emulator clock has moved past its expiry."""
        now = self.emu.clock.now().timestamp()
        if self._token is None or now >= self._token_expires_at - 60:
            self._token = self.token()
            self._token_expires_at = now + self.emu.settings.token_expires_in_s
        return self._token

    def headers(self, token=AUTO, vat=AUTO, version=VERSION, idempotency_key=None, extra=None):
        headers = {}
        token = self.default_token if token is AUTO else token
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        vat = self.vat if vat is AUTO else vat
        if vat is not None:
            headers["X-MobilePay-Merchant-VAT-Number"] = vat
        if version is not None:
            headers["X-MobilePay-Client-System-Version"] = version
        if idempotency_key is not None:
            headers["X-MobilePay-Idempotency-Key"] = idempotency_key
        headers.update(extra or {})
        return headers

    # -- raw calls
    def call(self, method, path, json=None, *, params=None, token=AUTO, vat=AUTO, version=VERSION,
             idempotency_key=None, headers=None, data=None, check=True, check_request=True, timeout=5):
        if idempotency_key is AUTO:
            idempotency_key = str(uuid.uuid4())
        response = self.http.request(
            method, self.base + path, json=json, data=data, params=params, timeout=timeout,
            headers=self.headers(token=token, vat=vat, version=version, idempotency_key=idempotency_key,
                                 extra=headers),
        )
        if check:
            self.contract.check(response, validate_request=check_request)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json, **kw)

    def create(self, path, json, **kw):
        """One of the four create POSTs: a fresh idempotency key unless one is given."""
        kw.setdefault("idempotency_key", AUTO)
        return self.call("POST", path, json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def simulate(self, action, body, token=None, check=True):
        headers = {"Authorization": "Bearer " + token} if token else {}
        response = self.http.post(self.base + "/pos/app/usersimulation/" + action, json=body, headers=headers,
                                  timeout=5)
        if check:
            self.contract.check(response)
        return response

    # -- flows
    def create_pos(self, **overrides) -> str:
        body = {"merchantPosId": "pos-" + uuid.uuid4().hex[:10], "storeId": self.store_id, "name": "Till 1",
                "supportedBeaconTypes": ["QR"]}
        body.update(overrides)
        response = self.create("/pos/v10/pointofsales", body)
        assert response.status_code == 200, response.text
        return response.json()["posId"]

    def pos(self, pos_id) -> dict:
        response = self.get(f"/pos/v10/pointofsales/{pos_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def beacon(self, pos_id) -> str:
        return self.pos(pos_id)["beaconId"]

    def initiate(self, pos_id, amount=12.5, currency="DKK", **overrides) -> str:
        body = {"posId": pos_id, "orderId": "order-" + uuid.uuid4().hex[:8], "amount": amount,
                "currencyCode": currency, "plannedCaptureDelay": "None"}
        body.update(overrides)
        response = self.create("/pos/v10/payments", body)
        assert response.status_code == 200, response.text
        return response.json()["paymentId"]

    def prepare(self, pos_id, order_id=None) -> str:
        response = self.create("/pos/v10/payments/prepare",
                               {"posId": pos_id, "orderId": order_id or "order-" + uuid.uuid4().hex[:8]})
        assert response.status_code == 200, response.text
        return response.json()["paymentId"]

    def ready(self, payment_id, amount=12.5, currency="DKK", extra=None, **kw):
        body = {"amount": amount, "currencyCode": currency, "plannedCaptureDelay": "None"}
        body.update(extra or {})
        return self.post(f"/pos/v10/payments/{payment_id}/ready", body, **kw)

    def payment(self, payment_id) -> dict:
        response = self.get(f"/pos/v10/payments/{payment_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def status(self, payment_id) -> str:
        return self.payment(payment_id)["status"]

    def checkin(self, beacon_id, phone=DK_USER):
        response = self.simulate("checkin", {"beaconId": beacon_id, "phoneNumber": phone})
        assert response.status_code == 200, response.text

    def accept(self, beacon_id, phone=DK_USER):
        response = self.simulate("acceptpayment", {"beaconId": beacon_id, "phoneNumber": phone})
        assert response.status_code == 200, response.text

    def decline(self, beacon_id):
        response = self.simulate("cancelpaymentbyuser", {"beaconId": beacon_id})
        assert response.status_code == 200, response.text

    def reserved_payment(self, amount=12.5, phone=DK_USER, currency="DKK", **overrides):
        """(pos_id, beacon_id, payment_id) of a fresh Reserved payment."""
        pos_id = self.create_pos()
        beacon_id = self.beacon(pos_id)
        payment_id = self.initiate(pos_id, amount=amount, currency=currency, **overrides)
        self.checkin(beacon_id, phone)
        self.accept(beacon_id, phone)
        return pos_id, beacon_id, payment_id

    def captured_payment(self, amount=100.0, phone=DK_USER, currency="DKK"):
        pos_id, beacon_id, payment_id = self.reserved_payment(amount=amount, phone=phone, currency=currency)
        response = self.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": amount})
        assert response.status_code == 200, response.text
        return payment_id

    def create_refund(self, payment_id, amount=10.0, currency="DKK", **kw):
        body = {"paymentId": payment_id, "refundOrderId": "refund-" + uuid.uuid4().hex[:8], "amount": amount,
                "currencyCode": currency}
        return self.create("/pos/v10/refunds", body, **kw)

    def refund(self, payment_id, amount=10.0) -> str:
        response = self.create_refund(payment_id, amount)
        assert response.status_code == 200, response.text
        return response.json()["refundId"]

    def refund_status(self, refund_id) -> str:
        response = self.get(f"/pos/v10/refunds/{refund_id}")
        assert response.status_code == 200, response.text
        return response.json()["status"]


def assert_error(response, status, code=None, origin=False):
    """The answer is an error with this HTTP status and MobilePay code (a string)."""
    assert response.status_code == status, f"expected {status} {code}, got {response.status_code}: {response.text}"
    if code is None:
        return
    body = response.json()
    assert body["code"] == str(code), body
    assert isinstance(body["code"], str)
    assert body["message"]
    assert body["correlationId"] == response.headers["CorrelationId"] or body["correlationId"]
    if origin:
        assert body["origin"] == "PoS", body
    else:
        assert "origin" not in body, body


@pytest.fixture
def api(emulator, contract) -> Api:
    helper = Api(emulator, contract)
    yield helper
    helper.http.close()


@pytest.fixture
def error():
    return assert_error


# ================================================================================================ ePayment
#
# Fixtures of the Vipps MobilePay ePayment emulator (mobilepay.epayment.emulator):
#
# * ``epayment_contract``: ``.check(response)`` validates a ``requests.Response`` and its request against
#   the saved OpenAPI document of its API, chosen by path prefix (/epayment/, /webhooks/, /qr/,
#   /accesstoken/), from $VIPPS_SPEC_DIR or <repo root>/../shared/vipps-epayment; ``.check_webhook(body)``
#   and ``.check_checkin(body)`` validate webhook payloads. The specs are patched in memory with exactly
#   the later additions API.md documents (each patch below names its source). Without the folder (a bare
#   clone) nothing is checked, and the run says so once.
# * ``epayment_emulator_server`` (one per session) and ``epayment_emulator`` (``reset()`` before each test).
# * ``epayment_api``: a small ``requests`` helper bound to both (deliberately not the project's client).
# * ``webhook_receiver``: a factory of local HTTP endpoints that record what they receive.

import copy  # noqa: E402
import http.server  # noqa: E402
import json as jsonlib  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from openapi_core import Config  # noqa: E402
from openapi_schema_validator import OAS30Validator, oas30_format_checker  # noqa: E402

from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings  # noqa: E402

DEFAULT_VIPPS_SPEC_DIR = REPO_ROOT.parent / "shared" / "vipps-epayment"
VIPPS_HOST = "https://api.vipps.no"
VIPPS_SPEC_FILES = {
    "epayment": "epayment.v1.yml",
    "webhooks": "swagger-webhooks-api.yaml",
    "qr": "swagger-qr-api.yaml",
    "accesstoken": "swagger-access-token-api.yaml",
    "order-management": "swagger-order-management-api-2.3.24.yaml",
}
# Filled when the ePayment contract checks are skipped (said once, at the end of the run).
_EPAYMENT_CONTRACT_SKIPPED = []


def _epayment_summary(terminalreporter):
    if _EPAYMENT_CONTRACT_SKIPPED:
        terminalreporter.write_line(
            f"SKIPPED: the ePayment contract checks: {_EPAYMENT_CONTRACT_SKIPPED[0]} does not hold the saved Vipps "
            "MobilePay OpenAPI documents (epayment.v1.yml, swagger-webhooks-api.yaml, swagger-qr-api.yaml, "
            "swagger-access-token-api.yaml, swagger-order-management-api-2.3.24.yaml). The ePayment emulator "
            "tests ran without validating their traffic, and the fuzzing and stateful runs against those "
            "documents (test_epayment_emulator_fuzz, test_epayment_emulator_stateful) were skipped. "
            "To run them, set VIPPS_SPEC_DIR to the folder that "
            "holds those files (the project keeps them in shared/vipps-epayment beside the repository)."
        )


def _vipps_spec_dir():
    explicit = os.environ.get("VIPPS_SPEC_DIR")
    folder = Path(explicit or DEFAULT_VIPPS_SPEC_DIR)
    missing = [name for name in VIPPS_SPEC_FILES.values() if not (folder / name).is_file()]
    if not missing:
        return folder
    if explicit:
        pytest.fail(f"VIPPS_SPEC_DIR is set, but {folder} lacks {', '.join(missing)}.", pytrace=False)
    _EPAYMENT_CONTRACT_SKIPPED.append(folder)
    return None


def _rewrite_refs(node, prefix):
    """Copy of ``node`` with every local schema $ref renamed to ``prefix`` + name."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                out[key] = "#/components/schemas/" + prefix + value.rsplit("/", 1)[-1]
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node


PROBLEM_REF = {"$ref": "#/components/responses/ProblemResponse"}
# The API gateway's own 401 body (Azure API Management), as Vipps MobilePay users report it
# (vippsas/vipps-developers#80); API.md 6.5 lists 401 among the statuses to handle.
GATEWAY_ERROR = {
    "description": "Refused by the API gateway (subscription key or access token)",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["statusCode", "message"],
        "properties": {"statusCode": {"type": "integer"}, "message": {"type": "string"}}}}},
}


def patch_epayment_spec(spec, order_management):
    """epayment.v1.yml 1.4.1 plus what API.md says the live API added since (section 0)."""
    schemas = spec["components"]["schemas"]
    # Offline: `receipt` is a $ref to raw.githubusercontent.com at tag 2.3.24 of the Order Management
    # spec; API.md "Files" saved exactly that file. Its schemas are copied in as OM_<name>.
    for name, schema in order_management["components"]["schemas"].items():
        schemas["OM_" + name] = _rewrite_refs(schema, "OM_")
    schemas["CreatePaymentRequest"]["properties"]["receipt"] = {"$ref": "#/components/schemas/OM_Receipt"}
    # API.md 7.1.2: later versions replace taxPercentage (0-100) by taxRate (0-10000) [SDK][LIVE].
    order_line = schemas["OM_OrderLine"]
    order_line["required"] = [r for r in order_line["required"] if r != "taxPercentage"]
    order_line["properties"]["taxRate"] = {"type": "integer", "minimum": 0, "maximum": 10000}
    # API.md 0 and 6.2: reference 8-64 characters since ePayment v1.7.0 (Jan 2025); the spec says 50.
    for target in (schemas["Reference"], spec["components"]["parameters"]["Payment-Reference-ID"]["schema"]):
        target["pattern"] = "^[a-zA-Z0-9-]{8,64}$"
        target["maxLength"] = 64
    # API.md 7.1: the customer is exactly one of phoneNumber, personalQr, customerToken. The spec's oneOf
    # variants require nothing, so every object matches all three and no customer could ever validate.
    for variant, prop in (("CustomerPhoneNumber", "phoneNumber"), ("PersonalQrCode", "personalQr"),
                          ("CustomerToken", "customerToken")):
        schemas[variant]["required"] = [prop]
    # API.md 0 ("by Nov 2024"), 6.5: Problem.extraDetails [{name, reason}] and instance.
    schemas["Problem"]["properties"]["instance"] = {"type": "string"}
    schemas["Problem"]["properties"]["extraDetails"] = {"type": "array", "items": {
        "type": "object", "required": ["name", "reason"],
        "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}}}
    # API.md 0 ("Aug 2026"), 7.2, 10.6: captureGuaranteedUntil on GET payment and the authorized webhook.
    for name in ("GetPaymentResponse", "WebhookEvent"):
        schemas[name]["properties"]["captureGuaranteedUntil"] = {"type": "string", "format": "date-time"}
    # API.md 0 ("Nov 2024"): minimumUserAge; API.md 0: paymentMethod.blockedSources ["COMMERCIAL_CARDS"].
    schemas["CreatePaymentRequest"]["properties"]["minimumUserAge"] = {"type": "integer", "minimum": 0}
    schemas["PaymentMethod"]["properties"]["blockedSources"] = {
        "type": "array", "items": {"type": "string", "enum": ["COMMERCIAL_CARDS"]}}
    # API.md 0 ("by Nov 2024"), 7.5: the optional cancel body {"cancelTransactionOnly": true|false}.
    spec["paths"]["/epayment/v1/payments/{reference}/cancel"]["post"]["requestBody"] = {
        "required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"cancelTransactionOnly": {"type": "boolean"}}}}}}
    # API.md 7.3: the spec's PaymentEvent requires the removed `paymentAction` instead of `name`.
    event = schemas["PaymentEvent"]
    event["required"] = ["name" if r == "paymentAction" else r for r in event["required"]]
    # API.md 7.4: the spec labels ModificationResponse application/problem+json; it is a normal JSON body.
    adjust = spec["components"]["responses"]["AdjustResponse"]["content"]
    adjust["application/json"] = copy.deepcopy(adjust["application/problem+json"])
    # Error answers every operation can give: API.md 6.5 (400, 401 gateway, 403, 404, 409, 5xx), 7.1.1 (422
    # for 5070 since v1.6.0), 7.2 (404 with 5090 for an unknown reference); the spec lists few of them.
    spec["components"]["responses"]["GatewayError"] = GATEWAY_ERROR
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete"):
                responses = operation["responses"]
                for status in ("400", "403", "404", "409", "422", "5XX"):
                    responses.setdefault(status, PROBLEM_REF)
                responses.setdefault("401", {"$ref": "#/components/responses/GatewayError"})
    # API.md 9: 429 on the rate-limited operations (create, capture, cancel, refund, get payment, get event
    # log); API.md 6.5: 423 Locked on a modification while another one of the payment is in progress.
    busy_answers = {
        ("/epayment/v1/payments", "post"): ("423", "429"),
        ("/epayment/v1/payments/{reference}", "get"): ("429",),
        ("/epayment/v1/payments/{reference}/events", "get"): ("429",),
        ("/epayment/v1/payments/{reference}/capture", "post"): ("423", "429"),
        ("/epayment/v1/payments/{reference}/cancel", "post"): ("423", "429"),
        ("/epayment/v1/payments/{reference}/refund", "post"): ("423", "429"),
    }
    for (path, method), statuses in busy_answers.items():
        for status in statuses:
            spec["paths"][path][method]["responses"].setdefault(status, PROBLEM_REF)
    return spec


def patch_webhooks_spec(spec):
    """swagger-webhooks-api.yaml v1 plus the answers API.md and the emulator add."""
    problem = {"description": "Problem", "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete"):
                # API.md 6.5 (401 from the gateway, 5xx). An unknown id on delete is a 400, as the spec lists
                # (API.md 10.3): no 404 is added.
                operation["responses"].setdefault("401", GATEWAY_ERROR)
                operation["responses"].setdefault("5XX", problem)
    return spec


def patch_qr_spec(spec):
    """swagger-qr-api.yaml 1.0 plus `category` (API.md 0 "May 2024", values IN_STORE/VENDING from [SK])."""
    schemas = spec["components"]["schemas"]
    category = {"type": "string", "enum": ["IN_STORE", "VENDING"]}
    for name in ("MerchantCallbackPutRequest", "MerchantCallbackMobilePayPutRequest", "MerchantCallbackQr"):
        schemas[name]["properties"]["category"] = dict(category)
    error = {"description": "Server error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/QrErrorResponse"}}}}
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete"):
                operation["responses"].setdefault("5XX", error)  # API.md 6.5: 5xx (injected faults)
    return spec


def patch_access_token_spec(spec):
    """swagger-access-token-api.yaml 2.0.0: access_token is a JWT (API.md 3.2), dot-separated base64url,
    which `format: byte` (plain base64) refuses, as it would refuse every real token."""
    spec["components"]["schemas"]["AuthorizationTokenResponse"]["properties"]["access_token"].pop("format", None)
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("5XX", {"description": "Server error"})
    return spec


# API.md 11.3 (no OpenAPI document describes the check-in payload).
CHECKIN_SCHEMA = {
    "type": "object", "required": ["customerToken", "merchantQrId", "msn", "initiatedAt"],
    "properties": {"customerToken": {"type": "string", "minLength": 1}, "merchantQrId": {"type": "string"},
                   "msn": {"type": "string", "pattern": "^[0-9]{4,6}$"},
                   "initiatedAt": {"type": "string", "format": "date-time"}},
}


def _problem_json(value, **parameters):
    return jsonlib.loads(value)


class EPaymentContract:
    """Validates traffic against the four saved Vipps MobilePay specs, patched as API.md says."""

    # Served by the emulator but described by no spec: images, the phone page, test controls.
    UNDESCRIBED = ("/qr-image/", "/phone", "/emulator/")

    def __init__(self, folder: Path):
        def load(key):
            return yaml.safe_load((folder / VIPPS_SPEC_FILES[key]).read_text(encoding="utf-8"))

        # openapi-core reads only application/json (and a few others) as JSON; the errors are problem+json.
        config = Config(extra_media_type_deserializers={"application/problem+json": _problem_json})
        epayment = patch_epayment_spec(load("epayment"), load("order-management"))
        self.epayment_dict = epayment
        self._specs = (
            ("/epayment/", OpenAPI.from_dict(epayment, config=config)),
            ("/webhooks/", OpenAPI.from_dict(patch_webhooks_spec(load("webhooks")), config=config)),
            ("/qr/", OpenAPI.from_dict(patch_qr_spec(load("qr")), config=config)),
            ("/accesstoken/", OpenAPI.from_dict(patch_access_token_spec(load("accesstoken")), config=config)),
        )
        self._webhook_event = OAS30Validator(
            {"allOf": [{"$ref": "#/components/schemas/WebhookEvent"}], "components": epayment["components"]},
            format_checker=oas30_format_checker)
        self._checkin = OAS30Validator(CHECKIN_SCHEMA, format_checker=oas30_format_checker)

    def _spec_for(self, path):
        for prefix, spec in self._specs:
            if path.startswith(prefix):
                return spec
        return None

    def check(self, response: requests.Response, validate_request: bool = True):
        """Assert that ``response`` (and, unless told otherwise, its request) follows its spec. Paths no spec
        describes (QR images, the phone page, test controls) pass unchecked. Returns None."""
        path = urlsplit(response.request.url).path
        if path.startswith(self.UNDESCRIBED):
            return None
        spec = self._spec_for(path)
        if spec is None:
            raise ContractViolation(f"no saved spec describes {path}")
        request = _AsServedBy(response.request, VIPPS_HOST)
        where = f"{request.method.upper()} {path} -> {response.status_code}"
        _validate_exchange(spec, request, response, where, validate_request)
        return None

    @staticmethod
    def _validate(validator, body, what):
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            details = "; ".join(f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors[:5])
            raise ContractViolation(f"{what} breaks the spec: {details}\nbody: {body}")

    def check_webhook(self, body):
        """An ePayment webhook payload against ``WebhookEvent`` (API.md 10.6)."""
        self._validate(self._webhook_event, body, "webhook payload")

    def check_checkin(self, body):
        """A ``user.checked-in.v1`` payload against API.md 11.3."""
        self._validate(self._checkin, body, "check-in payload")


class NoEPaymentContract:
    """Stands in for ``EPaymentContract`` on a bare clone: the behaviour is still tested, the contract is not."""

    def check(self, response, validate_request=True):
        return None

    def check_webhook(self, body):
        return None

    def check_checkin(self, body):
        return None


@pytest.fixture(scope="session")
def epayment_contract():
    folder = _vipps_spec_dir()
    if folder is None:
        return NoEPaymentContract()
    return EPaymentContract(folder)


@pytest.fixture(scope="session")
def epayment_emulator_server():
    emu = EPaymentEmulator(EPaymentEmulatorSettings.for_tests()).start("127.0.0.1", 0)
    yield emu
    emu.stop()


@pytest.fixture
def epayment_emulator(epayment_emulator_server):
    epayment_emulator_server.reset()
    yield epayment_emulator_server
    epayment_emulator_server.faults.clear()


class EPaymentApi:
    """Plain ``requests`` calls to the ePayment emulator, each checked against its spec.

    ``keys``: the SalesUnitKeys to act as (default: the demo sales unit). ``AUTO`` headers are the
    right ones for those keys; None leaves a header out."""

    def __init__(self, emu, contract):
        self.emu = emu
        self.contract = contract
        self.base = emu.base_url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never through a proxy
        self._tokens = {}

    @property
    def demo(self):
        return self.emu.demo

    # -- auth
    def token_response(self, keys=None, client_id=AUTO, client_secret=AUTO, subscription_key=AUTO, msn=None,
                       check=True, validate_request=True):
        keys = keys or self.demo.keys
        headers = {}
        for name, value, default in (("client_id", client_id, keys.client_id),
                                     ("client_secret", client_secret, keys.client_secret),
                                     ("Ocp-Apim-Subscription-Key", subscription_key, keys.subscription_key),
                                     ("Merchant-Serial-Number", msn, None)):
            value = default if value is AUTO else value
            if value is not None:
                headers[name] = value
        response = self.http.post(self.base + "/accesstoken/get", headers=headers, timeout=5)
        if check:
            self.contract.check(response, validate_request=validate_request)
        return response

    def token(self, keys=None) -> str:
        """A valid token for ``keys``, fetched again once the emulator clock passed its expiry."""
        keys = keys or self.demo.keys
        now = self.emu.clock.now().timestamp()
        cached = self._tokens.get(keys.client_id)
        if cached is None or now >= cached[1] - 60:
            response = self.token_response(keys)
            assert response.status_code == 200, response.text
            cached = (response.json()["access_token"], int(response.json()["expires_on"]))
            self._tokens[keys.client_id] = cached
        return cached[0]

    def headers(self, keys=None, token=AUTO, subscription_key=AUTO, msn=AUTO, idempotency_key=None, extra=None):
        keys = keys or self.demo.keys
        headers = {}
        token = self.token(keys) if token is AUTO else token
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        subscription_key = keys.subscription_key if subscription_key is AUTO else subscription_key
        if subscription_key is not None:
            headers["Ocp-Apim-Subscription-Key"] = subscription_key
        msn = keys.msn if msn is AUTO else msn
        if msn is not None:
            headers["Merchant-Serial-Number"] = msn
        if idempotency_key is AUTO:
            idempotency_key = str(uuid.uuid4())
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        headers.update(extra or {})
        return headers

    # -- raw calls
    def call(self, method, path, json=None, *, keys=None, token=AUTO, subscription_key=AUTO, msn=AUTO,
             idempotency_key=None, headers=None, data=None, params=None, check=True, validate_request=True,
             timeout=5):
        response = self.http.request(
            method, self.base + path, json=json, data=data, params=params, timeout=timeout,
            headers=self.headers(keys=keys, token=token, subscription_key=subscription_key, msn=msn,
                                 idempotency_key=idempotency_key, extra=headers),
        )
        if check:
            self.contract.check(response, validate_request=validate_request)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def fetch(self, url, method="GET", **kw):
        """A link the emulator handed out (QR image, phone page) or a form post, through the contract check
        (which lets paths no spec describes pass)."""
        kw.setdefault("timeout", 5)
        response = self.http.request(method, url if "://" in url else self.base + url, **kw)
        self.contract.check(response)
        return response

    def control(self, method, path, json=None):
        """A test control (``/emulator/...``): no auth, no contract."""
        response = self.http.request(method, self.base + path, json=json, timeout=5)
        self.contract.check(response)  # passes unchecked: no spec describes the controls
        return response

    # -- ePayment
    @staticmethod
    def payment_body(reference=None, value=1250, currency="DKK", flow="QR", customer=None, **extra):
        body = {"amount": {"currency": currency, "value": value}, "paymentMethod": {"type": "WALLET"},
                "reference": reference or "ref-" + uuid.uuid4().hex[:12], "userFlow": flow,
                "customerInteraction": "CUSTOMER_PRESENT", "paymentDescription": "Emulator Butik, kvittering 1"}
        if customer is not None:
            body["customer"] = customer
        body.update(extra)
        return body

    def create(self, body=None, idempotency_key=AUTO, **kw):
        return self.post("/epayment/v1/payments", body if body is not None else self.payment_body(),
                         idempotency_key=idempotency_key, **kw)

    def create_payment(self, **overrides) -> str:
        """The reference of a fresh CREATED payment (``overrides``: see payment_body)."""
        keys = overrides.pop("keys", None)
        body = self.payment_body(**overrides)
        response = self.create(body, keys=keys)
        assert response.status_code == 201, response.text
        return body["reference"]

    def authorized_payment(self, value=10000, **overrides) -> str:
        reference = self.create_payment(value=value, **overrides)
        self.emu.approve(reference)
        return reference

    def payment(self, reference, keys=None) -> dict:
        response = self.get(f"/epayment/v1/payments/{reference}", keys=keys)
        assert response.status_code == 200, response.text
        return response.json()

    def events(self, reference) -> list:
        response = self.get(f"/epayment/v1/payments/{reference}/events")
        assert response.status_code == 200, response.text
        return response.json()

    def capture(self, reference, value, currency="DKK", idempotency_key=AUTO, **kw):
        return self.post(f"/epayment/v1/payments/{reference}/capture",
                         {"modificationAmount": {"currency": currency, "value": value}},
                         idempotency_key=idempotency_key, **kw)

    def refund(self, reference, value, currency="DKK", idempotency_key=AUTO, **kw):
        return self.post(f"/epayment/v1/payments/{reference}/refund",
                         {"modificationAmount": {"currency": currency, "value": value}},
                         idempotency_key=idempotency_key, **kw)

    def cancel(self, reference, body=None, idempotency_key=AUTO, **kw):
        return self.post(f"/epayment/v1/payments/{reference}/cancel", body, idempotency_key=idempotency_key, **kw)

    # -- webhooks and QR
    def register_webhook(self, url, events, **kw):
        response = self.post("/webhooks/v1/webhooks", {"url": url, "events": list(events)}, **kw)
        assert response.status_code == 201, response.text
        return response.json()

    def put_callback_qr(self, merchant_qr_id, description="Kasse 1", **kw):
        body = {"locationDescription": description}
        body.update(kw.pop("extra", {}))
        response = self.put(f"/qr/v1/merchant-callback/{merchant_qr_id}", body, **kw)
        assert response.status_code == 200, response.text
        return response


def assert_problem(response, status, code=None, field=None):
    """An ePayment / Webhooks error: RFC 7807 body with this status and ErrorCode (or naming ``field``)."""
    assert response.status_code == status, f"expected {status} {code or field}, got {response.status_code}: " \
                                           f"{response.text}"
    body = response.json()
    assert body["status"] == status and body["title"] and body["traceId"] and body["type"], body
    details = body.get("extraDetails") or []
    if code is not None:
        assert {"name": "ErrorCode", "reason": str(code)} in details, body
    if field is not None:
        assert any(d["name"] == field for d in details), body
    return body


@pytest.fixture
def epayment_api(epayment_emulator, epayment_contract) -> EPaymentApi:
    helper = EPaymentApi(epayment_emulator, epayment_contract)
    yield helper
    helper.http.close()


@pytest.fixture
def problem():
    return assert_problem


class WebhookReceiver:
    """A local HTTP endpoint recording every POST (path, headers, raw body) and answering the given
    statuses in turn (then 200), or what ``respond(raw body)`` says; ``delays`` (seconds) hold answers
    back in turn."""

    def __init__(self, statuses=(), delays=(), path="/vipps/webhook", respond=None):
        self.respond = respond  # callable(raw body) -> status, instead of ``statuses``
        self.statuses = list(statuses)
        self.delays = list(delays)
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), raw))
                    if receiver.respond is not None:
                        status = receiver.respond(raw)
                    else:
                        status = receiver.statuses.pop(0) if receiver.statuses else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the emulator gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def bodies(self):
        with self.lock:
            return [jsonlib.loads(raw) for _, _, raw in self.received]

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    made = []

    def make(statuses=(), delays=(), path="/vipps/webhook", respond=None):
        made.append(WebhookReceiver(statuses, delays, path, respond))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()
