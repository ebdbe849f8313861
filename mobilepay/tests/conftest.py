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

from mobilepay.emulator import Emulator, EmulatorSettings

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


def pytest_terminal_summary(terminalreporter):
    if _CONTRACT_SKIPPED:
        terminalreporter.write_line(
            f"SKIPPED: the contract checks against the original MobilePay documents: {_CONTRACT_SKIPPED[0]} "
            "holds no pos.yaml. The tests ran without validating their traffic against pos.yaml and "
            "openapi.yaml, and the fuzzing run against pos.yaml (test_emulator_fuzz) was skipped. To run "
            "them, set MOBILEPAY_SPEC_DIR to the folder that holds those two files (the project keeps them "
            "in shared/mobilepay-pos-v10 beside the repository)."
        )


class _AsServedBySandbox:
    """A requests request seen as if it went to the sandbox host, so that the spec's servers match."""

    def __init__(self, request):
        self._inner = RequestsOpenAPIRequest(request)
        self.parameters = self._inner.parameters
        self.method = self._inner.method
        self.body = self._inner.body
        self.content_type = self._inner.content_type
        self.path = self._inner.path
        self.host_url = SANDBOX


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
        request = _AsServedBySandbox(response.request)
        spec = self._spec_for(request.path)
        where = f"{request.method.upper()} {request.path} -> {response.status_code}"
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
        return None


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
