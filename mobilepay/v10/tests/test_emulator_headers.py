"""Header rules of every PoS API call (API.md section 4) and the error body format (section 5)."""

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest


def _raw(api, method, path, headers, body=None):
    """Send headers exactly as given, repeated ones included (requests cannot repeat a header)."""
    url = urlsplit(api.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        conn.putrequest(method, path)
        for name, value in headers:
            conn.putheader(name, value)
        data = json.dumps(body).encode() if body is not None else b""
        if body is not None:
            conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        conn.close()


@pytest.fixture
def base_headers(api):
    return [("Authorization", "Bearer " + api.default_token), ("X-MobilePay-Client-System-Version", "1.0.0"),
            ("X-MobilePay-Merchant-VAT-Number", api.vat)]


def test_vat_header_missing_and_invalid(api, error):
    error(api.get("/pos/v10/stores", vat=None), 400, "1151")
    for bad in ("DK-90000028", "SE90000028", "DK9000002", "dk90000028", ""):
        error(api.get("/pos/v10/stores", vat=bad), 400, "1159" if bad else "1151")


def test_system_version_missing_and_invalid(api, error):
    error(api.get("/pos/v10/stores", version=None, check_request=False), 400, "1153")
    for bad in ("1.2", "1.2.3.4", "v1.2.3", "1.2.x"):
        error(api.get("/pos/v10/stores", version=bad), 400, "1161")
    assert api.get("/pos/v10/stores", version="10.22.333").status_code == 200


def test_duplicated_headers(api, base_headers):
    status, body = _raw(api, "GET", "/pos/v10/stores", base_headers + [("X-MobilePay-Merchant-VAT-Number", api.vat)])
    assert (status, body["code"]) == (400, "1155")
    status, body = _raw(api, "GET", "/pos/v10/stores", base_headers + [("X-MobilePay-Client-System-Version", "1.0.0")])
    assert (status, body["code"]) == (400, "1157")
    status, body = _raw(api, "GET", "/pos/v10/stores", base_headers + [
        ("X-MobilePay-Client-System-Name", "Odoo"), ("X-MobilePay-Client-System-Name", "Odoo")])
    assert (status, body["code"]) == (400, "1156")
    key = str(uuid.uuid4())
    body = {"posId": str(uuid.uuid4()), "orderId": "o-1"}
    status, answer = _raw(api, "POST", "/pos/v10/payments/prepare", base_headers + [
        ("X-MobilePay-Idempotency-Key", key), ("X-MobilePay-Idempotency-Key", key)], body)
    assert (status, answer["code"]) == (400, "1163")
    # Sent once, every header is fine (a comma inside one idempotency key is no duplicate).
    status, answer = _raw(api, "POST", "/pos/v10/payments/prepare", base_headers + [
        ("X-MobilePay-Idempotency-Key", "a,b")], body)
    assert (status, answer["code"]) == (409, "1000")


def test_obsolete_system_name_is_checked_only_when_sent(api, error):
    assert api.get("/pos/v10/stores", headers={"X-MobilePay-Client-System-Name": "Odoo POS"}).status_code == 200
    error(api.get("/pos/v10/stores", headers={"X-MobilePay-Client-System-Name": "x" * 37}), 400, "1160")
    error(api.get("/pos/v10/stores", headers={"X-MobilePay-Client-System-Name": "bad\xa0name"}), 400, "1160")


def test_idempotency_key_missing_and_invalid(api, error):
    body = {"posId": str(uuid.uuid4()), "orderId": "o-1"}
    error(api.post("/pos/v10/payments/prepare", body, check_request=False), 400, "1164")
    error(api.create("/pos/v10/payments/prepare", body, idempotency_key="k" * 37), 400, "1162")
    error(api.create("/pos/v10/payments/prepare", body, idempotency_key="tab\tkey"), 400, "1162")
    # Valid keys: up to 36 valid characters, GUID or not.
    error(api.create("/pos/v10/payments/prepare", body, idempotency_key="k" * 36), 409, "1000")
    error(api.create("/pos/v10/payments/prepare", body, idempotency_key="Ordre æøå #1"), 409, "1000")


def test_idempotency_key_is_required_on_all_four_create_posts(api, error):
    error(api.post("/pos/v10/pointofsales", {}, check_request=False), 400, "1164")
    error(api.post("/pos/v10/payments", {}, check_request=False), 400, "1164")
    error(api.post("/pos/v10/payments/prepare", {}, check_request=False), 400, "1164")
    error(api.post("/pos/v10/refunds", {}, check_request=False), 400, "1164", origin=True)


def test_header_errors_of_refund_endpoints_carry_origin(api, error):
    error(api.get("/pos/v10/refunds", params={"paymentId": str(uuid.uuid4())}, vat=None), 400, "1151", origin=True)
    error(api.get(f"/pos/v10/refunds/{uuid.uuid4()}", version="x"), 400, "1161", origin=True)


def test_correlation_id_is_echoed_or_made_up(api):
    response = api.get("/pos/v10/stores", headers={"CorrelationId": "my-correlation-1"})
    assert response.headers["CorrelationId"] == "my-correlation-1"
    first = api.get("/pos/v10/stores").headers["CorrelationId"]
    second = api.get("/pos/v10/stores").headers["CorrelationId"]
    assert first != second
    assert uuid.UUID(first)
    response = api.get("/pos/v10/stores", vat=None, headers={"CorrelationId": "corr-2"})
    assert response.json()["correlationId"] == "corr-2"


def test_error_code_is_a_string_and_actions_answer_an_empty_body(api, error):
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    response = api.post(f"/pos/v10/payments/{payment_id}/cancel")
    assert response.status_code == 200
    assert response.content == b""
    assert "Content-Type" not in response.headers
    response = api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": 12.5})
    error(response, 409, "1304")
    assert set(response.json()) == {"code", "message", "correlationId"}


def test_unknown_paths_and_methods(api):
    assert api.get("/pos/v10/nothing-here", check=False).status_code == 404
    assert api.call("PUT", "/pos/v10/payments", check=False).status_code == 405
    assert api.get("/pos/v10/payments/not-a-guid", check_request=False).status_code == 404
