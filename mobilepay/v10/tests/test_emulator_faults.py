"""Fault injection: error statuses, latency and dropped connections."""

import logging
import time
import uuid

import pytest
import requests


def _initiate_body(pos_id):
    return {"posId": pos_id, "orderId": "order-1", "amount": 12.5, "currencyCode": "DKK", "plannedCaptureDelay": "None"}


def test_status_fault_fires_the_given_number_of_times(api, emulator, error):
    pos_id = api.create_pos()
    fault = emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos_id}", kind="status", status=500,
                                times=2)
    error(api.get(f"/pos/v10/pointofsales/{pos_id}"), 500, "2000")
    error(api.get(f"/pos/v10/pointofsales/{pos_id}"), 500, "2000")
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
    assert fault.hits == 2


def test_status_fault_does_not_process_the_request(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="status", status=503)
    response = api.create("/pos/v10/payments", _initiate_body(pos_id), check=False)
    assert response.status_code == 503
    assert response.json()["code"] == "2000"
    assert api.get("/pos/v10/payments", params={"posId": pos_id}).json() == {"paymentIds": []}
    assert emulator.requests_log[-2] == ("POST", "/pos/v10/payments", 503)


def test_refund_faults_carry_origin(api, emulator, error):
    emulator.faults.add(method=None, path="/pos/v10/refunds", kind="status", status=500)
    error(api.get("/pos/v10/refunds", params={"paymentId": str(uuid.uuid4())}), 500, "2000", origin=True)


def test_latency(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos_id}", kind="latency", latency_ms=250)
    started = time.monotonic()
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
    assert time.monotonic() - started >= 0.25
    with pytest.raises(requests.Timeout):
        emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos_id}", kind="latency", latency_ms=300)
        api.get(f"/pos/v10/pointofsales/{pos_id}", timeout=0.1)


def test_drop_before_leaves_no_trace(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="drop_before")
    with pytest.raises(requests.ConnectionError):
        api.create("/pos/v10/payments", _initiate_body(pos_id))
    assert api.get("/pos/v10/payments", params={"posId": pos_id}).json() == {"paymentIds": []}
    assert ("POST", "/pos/v10/payments", None) in emulator.requests_log


def test_drop_after_processes_then_the_retry_replays(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="drop_after")
    key = str(uuid.uuid4())
    with pytest.raises(requests.ConnectionError):
        api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    created = api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"]
    assert len(created) == 1  # the state changed although no answer came back
    retry = api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key)
    assert retry.status_code == 200
    assert retry.json() == {"paymentId": created[0]}
    # Without the key the retry would have hit the one-active-payment rule.
    assert api.create("/pos/v10/payments", _initiate_body(pos_id)).json()["code"] == "1301"


def test_path_patterns_methods_and_clear(api, emulator):
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    emulator.faults.add(method=None, path="/pos/v10/payments/*", kind="status", status=502, times=None)
    assert api.get(f"/pos/v10/payments/{payment_id}", check=False).status_code == 502
    assert api.post(f"/pos/v10/payments/{payment_id}/cancel", check=False).status_code == 502
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
    emulator.faults.clear()
    assert api.get(f"/pos/v10/payments/{payment_id}").status_code == 200


def test_test_controls_are_never_faulted(api, emulator):
    assert api.default_token
    emulator.faults.add(method=None, path="*", kind="status", status=500, times=None)
    assert api.http.get(api.base + "/emulator/stats").status_code == 200
    assert api.http.get(api.base + "/phone").status_code == 200
    assert api.get("/pos/v10/stores", check=False).status_code == 500
    token = api.http.post(api.base + "/integrator-authentication/connect/token",
                          auth=(api.client_id, api.client_secret), data={"grant_type": "client_credentials"})
    assert token.status_code == 500  # the token endpoint can be faulted too


def test_fault_kinds_are_checked(emulator):
    with pytest.raises(ValueError):
        emulator.faults.add(kind="explode")
    with pytest.raises(ValueError):
        emulator.faults.add(kind="status", times=0)


def test_probability_fires_some_of_the_matching_requests(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.rng.seed(7)
    fault = emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos_id}", kind="status", status=503,
                                times=None, probability=0.3)
    statuses = [api.get(f"/pos/v10/pointofsales/{pos_id}", check=False).status_code for _ in range(60)]
    assert 5 <= statuses.count(503) <= 35
    assert statuses.count(503) == fault.hits
    assert set(statuses) == {200, 503}


def test_latency_from_a_range_and_remove(api, emulator):
    pos_id = api.create_pos()
    fault = emulator.faults.add(method="GET", path=f"/pos/v10/pointofsales/{pos_id}", kind="latency",
                                latency_ms=100, latency_max_ms=200, times=None)
    for _ in range(3):
        started = time.monotonic()
        assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 200
        assert 0.1 <= time.monotonic() - started < 1.0
    delays = {round(fault.delay_ms(), 3) for _ in range(20)}
    assert len(delays) > 1 and all(100 <= d <= 200 for d in delays)
    emulator.faults.remove(fault)
    started = time.monotonic()
    api.get(f"/pos/v10/pointofsales/{pos_id}")
    assert time.monotonic() - started < 0.1
    assert len(emulator.faults) == 0


def test_body_fault_processes_the_request_and_answers_what_it_is_told(api, emulator):
    pos_id = api.create_pos()
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="body", body="")
    key = str(uuid.uuid4())
    response = api.http.post(api.base + "/pos/v10/payments", json=_initiate_body(pos_id),
                             headers={**api.headers(), "X-MobilePay-Idempotency-Key": key})
    assert (response.status_code, response.content) == (200, b"")
    created = api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"]
    assert len(created) == 1  # processed although the answer was broken
    # The stored answer is the real one: a retry with the same key gets it.
    assert api.create("/pos/v10/payments", _initiate_body(pos_id), idempotency_key=key).json() == {
        "paymentId": created[0]
    }


def test_fault_settings_are_checked(emulator):
    for bad in ({"probability": 0}, {"probability": 1.5}, {"kind": "latency", "latency_ms": -1},
                {"kind": "latency", "latency_ms": 50, "latency_max_ms": 10}, {"kind": "body", "body": 5}):
        with pytest.raises(ValueError):
            emulator.faults.add(**bad)


def test_a_dropped_request_leaves_no_bad_request_behind(api, emulator, caplog):
    pos_id = api.create_pos()
    emulator.faults.add(method="POST", path="/pos/v10/payments", kind="drop_before", times=3)
    with caplog.at_level(logging.DEBUG, logger="mobilepay.emulator.http"):
        for _ in range(3):
            with pytest.raises(requests.ConnectionError):
                api.create("/pos/v10/payments", _initiate_body(pos_id))
        time.sleep(0.2)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
