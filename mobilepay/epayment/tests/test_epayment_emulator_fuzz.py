"""A bounded fuzzing run of the ePayment emulator against the four saved Vipps MobilePay specs.

Schemathesis generates requests from the saved OpenAPI documents (epayment.v1.yml, the Webhooks,
QR and Access Token specs), patched in memory with the later additions of API.md section 0 exactly
as the contract checks patch them (mobilepay/tests/pytest_fixtures.py), for every emulated operation: valid requests and
invalid ones (wrong types, missing fields, odd strings, impossible dates, huge numbers). Each one
goes out with the emulator's auth (a token fetched first, as the other ePayment tests do), and
each answer must

* not be a server error (the emulator's tests inject no faults here), and
* carry a status the (patched) spec documents for that operation; the statuses the contract patches add
  are named below, each with its source.

The examples are derandomized, so every run sends the same requests and a failure can be run again.
Without the saved specs (VIPPS_SPEC_DIR, default ../shared/vipps-epayment) the run is skipped with
one message, like the other ePayment contract checks.

Not fuzzed: operations of the saved specs the emulator does not serve, because the in-store
integration does not use them (API.md 3 and 11.6): the one-time and merchant-redirect QR codes
(``/qr/v1``, ``/qr/v1/merchant-redirect...``) and the ``/miami/v1/token`` OAuth endpoint.
"""

import os
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

EXAMPLES = 25  # per operation and generation mode
SPEC = Path(os.environ.get("VIPPS_SPEC_DIR") or Path(__file__).resolve().parents[4] / "shared/vipps-epayment")
# spec key (as in pytest_fixtures.VIPPS_SPEC_FILES) -> (file, the path prefix its servers add, the conftest patch)
SPECS = {
    "epayment": ("epayment.v1.yml", "", "patch_epayment_spec"),
    "webhooks": ("swagger-webhooks-api.yaml", "/webhooks", "patch_webhooks_spec"),
    "qr": ("swagger-qr-api.yaml", "/qr", "patch_qr_spec"),
    "accesstoken": ("swagger-access-token-api.yaml", "", "patch_access_token_spec"),
}
# Operations the emulator does not serve (see the module docstring).
NOT_EMULATED = {
    ("qr", "POST", "/v1"), ("qr", "POST", "/v1/merchant-redirect"), ("qr", "GET", "/v1/merchant-redirect"),
    ("qr", "PUT", "/v1/merchant-redirect/{id}"), ("qr", "DELETE", "/v1/merchant-redirect/{id}"),
    ("qr", "GET", "/v1/merchant-redirect/{id}"), ("accesstoken", "POST", "/miami/v1/token"),
}
# Statuses the emulator answers although the saved spec does not list them are accepted because the
# contract patches in pytest_fixtures.py add them, each naming its API.md source: 401 from the API
# gateway and 5xx on every operation (API.md 6.5); on ePayment 400/403/404/409/422 everywhere (API.md
# 6.5, 7.1.1: 422 for 5070 since v1.6.0; 7.2: 404 with 5090 for an unknown reference, where the spec lists
# only 200) and 423/429 on the busy and rate-limited operations (API.md 6.5, 9).
# The Webhooks spec documents only 204 and 400 for delete, and the emulator follows it (an unknown id is 400).


def _spec_files_present():
    return all((SPEC / name).is_file() for name, _, _ in SPECS.values())


def _operations():
    if not _spec_files_present():
        skip = pytest.mark.skip(reason="the ePayment fuzzing run needs the saved Vipps specs (VIPPS_SPEC_DIR)")
        return [pytest.param(None, None, None, marks=skip)]
    params = []
    for key, (name, _, _) in SPECS.items():
        raw = yaml.safe_load((SPEC / name).read_text(encoding="utf-8"))
        for path, item in raw["paths"].items():
            for method in item:
                if method in ("get", "post", "put", "delete") and (key, method.upper(), path) not in NOT_EMULATED:
                    params.append(pytest.param(key, method.upper(), path, id=f"{key} {method.upper()} {path}"))
    return params


@lru_cache(maxsize=None)
def _schema(key, conftest_name):
    """The schemathesis schema of one saved spec, patched as the contract checks patch it."""
    conftest = sys.modules[conftest_name]
    name, _, patch = SPECS[key]

    def load(file_name):
        return yaml.safe_load((SPEC / file_name).read_text(encoding="utf-8"))

    if key == "epayment":
        spec = conftest.patch_epayment_spec(load(name), load(conftest.VIPPS_SPEC_FILES["order-management"]))
    else:
        spec = getattr(conftest, patch)(load(name))
    return schemathesis.openapi.from_dict(spec), spec


def documented_statuses(spec, method, path):
    return set(spec["paths"][path][method.lower()]["responses"])


def is_documented(status, documented):
    return str(status) in documented or f"{str(status)[0]}XX" in documented or "default" in documented


def _auth_headers(api, key):
    if key == "accesstoken":  # the token endpoint itself: the sales unit's keys (API.md 3.2)
        keys = api.demo.keys
        return {"client_id": keys.client_id, "client_secret": keys.client_secret,
                "Ocp-Apim-Subscription-Key": keys.subscription_key}
    return api.headers()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("key, method, path", _operations())
def test_the_emulator_answers_every_input_as_documented(key, method, path, mode, epayment_api, epayment_contract):
    schema, spec = _schema(key, type(epayment_contract).__module__)
    operation = schema[path][method]
    documented = documented_statuses(spec, method, path)
    prefix = SPECS[key][1]
    auth = _auth_headers(epayment_api, key)
    answers = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def send(case):
        headers = {**(case.headers or {}), **auth}
        if any(not str(value).isascii() for value in headers.values()):
            return  # a header value that cannot go on the wire: nothing to send
        response = case.call(base_url=epayment_api.base + prefix, headers=headers, timeout=10)
        answers.append(response.status_code)
        where = f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:300]}"
        assert response.status_code < 500, where
        assert is_documented(response.status_code, documented), f"undocumented status: {where}"

    send()
    assert answers, "no request was sent"
