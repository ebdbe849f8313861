"""Bad input to the emulator gets a clear 4xx answer and changes nothing (never a 500)."""

import json
import socket
import subprocess
import sys

import pytest
import requests

from mobilepay.v10.emulator import EmulatorSettings


def _control(api, name, body):
    return api.http.post(api.base + "/emulator/" + name, data=body if isinstance(body, bytes) else json.dumps(body))


def _still_healthy(api):
    assert api.http.get(api.base + "/emulator/state").status_code == 200
    assert api.get("/pos/v10/stores").status_code == 200
    assert api.http.get(api.base + "/phone").status_code == 200


def _initiate_body(pos_id, amount):
    return {"posId": pos_id, "orderId": "o-1", "amount": amount, "currencyCode": "DKK", "plannedCaptureDelay": "None"}


@pytest.mark.parametrize("seconds", [1e13, 1e15, "inf", float("inf"), "nan", "3600", None, True, -1, [1]])
def test_advance_clock_refuses_what_it_cannot_do(api, seconds):
    body = b'{"seconds": Infinity}' if seconds == float("inf") else {"seconds": seconds}
    response = _control(api, "advance-clock", body)
    assert response.status_code == 400, response.text
    assert "seconds" in response.json()["error"]
    _still_healthy(api)
    assert _control(api, "advance-clock", {"seconds": 60}).json()["clockOffsetSeconds"] == 60


@pytest.mark.parametrize(
    "settings",
    [
        {"payment_poll_delay_ms": "abc"},
        {"payment_poll_delay_ms": -5},
        {"payment_poll_delay_ms": 1.5},
        {"token_expires_in_s": None},
        {"checkin_ttl_s": "soon"},
        {"strict_unknown_properties": "yes"},
        {"callbacks": ["not", "a", "map"]},
        {"default_store_balance": float("nan")},
        {"refund_window_s": 1e300},
        {"no_such_setting": 1},
        {"payment_poll_delay_ms": 100, "token_expires_in_s": None},  # all or nothing
    ],
)
def test_settings_are_checked_and_a_bad_one_changes_nothing(api, emulator, settings):
    before = emulator.settings.copy()
    response = _control(api, "settings", settings)
    assert response.status_code == 400, response.text
    assert emulator.settings == before
    _still_healthy(api)


def test_settings_that_suit_their_fields_are_taken(api, emulator):
    response = _control(api, "settings", {"payment_poll_delay_ms": 250, "checkin_ttl_s": None,
                                          "default_store_balance": 100, "strict_unknown_properties": True})
    assert response.status_code == 200
    assert emulator.settings.payment_poll_delay_ms == 250
    assert emulator.settings.checkin_ttl_s is None
    assert emulator.settings.strict_unknown_properties is True
    payment_id = api.initiate(api.create_pos())
    assert api.get(f"/pos/v10/payments/{payment_id}").json()["pollDelayInMs"] == 250


def test_every_setting_is_checked():
    """A setting added without saying what it takes would be refused by update(): this names it."""
    import dataclasses

    from mobilepay.v10.emulator.settings import _FIELD_KINDS

    assert {f.name for f in dataclasses.fields(EmulatorSettings)} == set(_FIELD_KINDS)


@pytest.mark.parametrize(
    "path", ["/pos/v10/payments", "/emulator/settings", "/integrator-authentication/connect/token"]
)
def test_deeply_nested_json_is_a_bad_request(api, path):
    response = api.http.post(api.base + path, data=b"[" * 100000, headers={**api.headers(),
                                                                         "Content-Type": "application/json",
                                                                         "X-MobilePay-Idempotency-Key": "k-1"})
    assert 400 <= response.status_code < 500, response.status_code
    _still_healthy(api)


@pytest.mark.parametrize("amount", [1e25, 1e26, 1e30, 1e300])
def test_huge_amounts_are_1102_everywhere(api, emulator, error, amount):
    pos_id = api.create_pos()
    error(api.create("/pos/v10/payments", _initiate_body(pos_id, amount), check=False), 400, "1102")
    payment_id = api.initiate(pos_id)
    error(api.post(f"/pos/v10/payments/{payment_id}/capture", {"amount": amount}, check=False), 400, "1102")
    prepared = api.create("/pos/v10/payments/prepare", {"posId": api.create_pos(), "orderId": "p"}).json()["paymentId"]
    ready = {"amount": amount, "currencyCode": "DKK", "plannedCaptureDelay": "None"}
    error(api.post(f"/pos/v10/payments/{prepared}/ready", ready, check=False), 400, "1102")
    refund = {"paymentId": payment_id, "refundOrderId": "r-1", "amount": amount, "currencyCode": "DKK"}
    error(api.create("/pos/v10/refunds", refund, check=False), 400, "1102", origin=True)


def test_wrong_method_says_which_are_allowed(api):
    response = api.call("PUT", "/pos/v10/payments", check=False)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "PUT" in response.json()["message"]
    assert response.json()["correlationId"]


def test_an_unknown_path_answers_json(api):
    response = api.get("/pos/v10/nothing-here", check=False)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert "/pos/v10/nothing-here" in response.json()["message"]


def test_a_huge_body_is_refused_unread(api, emulator):
    pos_id = api.create_pos()
    body = json.dumps({**_initiate_body(pos_id, 10), "padding": "x" * (50 * 1024 * 1024)})
    response = api.http.post(api.base + "/pos/v10/payments", data=body,
                             headers={**api.headers(), "Content-Type": "application/json",
                                      "X-MobilePay-Idempotency-Key": "big-1"})
    assert response.status_code == 413
    assert response.json()["code"] == "1099"
    assert api.get("/pos/v10/payments", params={"posId": pos_id}).json() == {"paymentIds": []}


def test_a_huge_chunked_body_is_refused_without_being_kept(api, emulator):
    """The emulator keeps at most 64 KiB of a body; the HTTP server throws the rest away, then answers 413."""

    def chunks():
        for _ in range(16 * 16):  # 16 MiB
            yield b" " * 65536

    try:
        status = api.http.post(api.base + "/emulator/settings", data=chunks(),
                               headers={"Content-Type": "application/json"}, timeout=30).status_code
    except requests.ConnectionError:
        status = None  # answered and closed while the body was still on its way
    assert status in (None, 413)
    assert ("POST", "/emulator/settings", 413) in emulator.requests_log
    _still_healthy(api)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--port", "99999"], "not a port"),
        (["--port", "http"], "not a port number"),
        (["--payment-poll-delay-ms", "-5"], "cannot be negative"),
        (["--checkin-ttl", "nan"], "finite"),
    ],
)
def test_command_line_refuses_bad_values(argv, words):
    run = subprocess.run([sys.executable, "-m", "mobilepay.v10.emulator", *argv], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 2
    assert words in run.stderr


def test_command_line_says_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "mobilepay.v10.emulator", "--port", str(port)], capture_output=True,
                             text=True, timeout=30)
    assert run.returncode == 1
    assert "in use" in run.stderr and "Traceback" not in run.stderr
