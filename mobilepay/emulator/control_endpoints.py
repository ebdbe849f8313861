"""Test controls over HTTP, so that another process (e.g. Odoo) can drive the emulator.

All are JSON POSTs under /emulator/ mirroring the Python methods of ``Emulator``,
plus a few GETs to look inside. Errors answer 400 ``{"error": "..."}``.

    POST /emulator/reset                      {}
    POST /emulator/advance-clock              {"seconds": 3600}
    POST /emulator/cancel-by-mobilepay        {"paymentId": "..."}
    POST /emulator/expire-reservation         {"paymentId": "..."}
    POST /emulator/cancel-refund-by-mobilepay {"refundId": "..."}
    POST /emulator/reserve-refund             {"refundId": "..."}
    POST /emulator/faults                     {"method": "POST", "path": "/pos/v10/payments", "kind": "status",
                                               "status": 503, "latencyMs": 0, "latencyMaxMs": null, "times": 1,
                                               "probability": 1.0}; kind "body" also takes "body": "..."
    POST /emulator/faults/clear               {}
    POST /emulator/register-callback          {"alias": "...", "url": "http://127.0.0.1:9000/cb"}
    POST /emulator/add-integrator             {"clientId": "...", "clientSecret": "..."}
    POST /emulator/add-store                  {"merchantVat": "DK12345678", "merchantBrandId": "MPPOS12345",
                                               "merchantLocationId": "00001", "name": "...", "activated": true,
                                               "balance": null}  -> {"storeId": "..."}
    POST /emulator/set-store-balance          {"storeId": "...", "balance": 100.0}
    POST /emulator/add-test-user              {"phoneNumber": "+4512345678", "card": "Debit", "loyaltyIds": [],
                                               "partialCapture": false, "reservationFails": false}
    POST /emulator/settings                   {"payment_poll_delay_ms": 200, ...}  (EmulatorSettings fields)
    GET  /emulator/stats                      early polls, request count
    GET  /emulator/state                      every store, PoS, payment (with its transitions) and refund
    GET  /emulator/demo                       the seeded demo data
    GET  /emulator/notifications              the check-in notifications sent so far
    GET  /emulator/requests                   the request log
"""

import dataclasses
import json

from werkzeug.routing import Rule

from .api_errors import ControlError
from .responses import json_response


def _body(call):
    raw = call.request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ControlError("the body must be JSON (and not nested too deeply)") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _required(body, key):
    if body.get(key) in (None, ""):
        raise ControlError(f"{key} is required")
    return body[key]


def _ok(**extra):
    return json_response({"ok": True, **extra})


def reset(call):
    call.emulator.reset()
    return _ok()


def advance_clock(call):
    body = _body(call)
    try:
        call.emulator.advance_clock(_required(body, "seconds"))
    except ValueError as exc:
        raise ControlError(f"seconds: {exc}") from None
    return _ok(clockOffsetSeconds=call.emulator.clock.offset_seconds)


def cancel_by_mobilepay(call):
    call.emulator.cancel_by_mobilepay(_required(_body(call), "paymentId"))
    return _ok()


def expire_reservation(call):
    call.emulator.expire_reservation(_required(_body(call), "paymentId"))
    return _ok()


def cancel_refund_by_mobilepay(call):
    call.emulator.cancel_refund_by_mobilepay(_required(_body(call), "refundId"))
    return _ok()


def reserve_refund(call):
    call.emulator.reserve_refund(_required(_body(call), "refundId"))
    return _ok()


def add_fault(call):
    body = _body(call)
    try:
        fault = call.emulator.faults.add(
            method=body.get("method", "POST"), path=body.get("path", "/pos/v10/payments"),
            kind=body.get("kind", "status"), status=body.get("status"), latency_ms=body.get("latencyMs", 0),
            times=body.get("times", 1), probability=body.get("probability", 1.0),
            latency_max_ms=body.get("latencyMaxMs"), body=body.get("body", ""),
        )
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    return _ok(fault=fault.to_json())


def clear_faults(call):
    call.emulator.faults.clear()
    return _ok()


def register_callback(call):
    body = _body(call)
    call.emulator.register_callback(_required(body, "alias"), _required(body, "url"))
    return _ok()


def add_integrator(call):
    body = _body(call)
    call.emulator.add_integrator(_required(body, "clientId"), _required(body, "clientSecret"))
    return _ok()


def add_store(call):
    body = _body(call)
    store_id = call.emulator.add_store(
        _required(body, "merchantVat"), _required(body, "merchantBrandId"), _required(body, "merchantLocationId"),
        name=body.get("name", "Emulator Store"), activated=body.get("activated", True), balance=body.get("balance"),
    )
    return _ok(storeId=store_id)


def set_store_balance(call):
    body = _body(call)
    call.emulator.set_store_balance(_required(body, "storeId"), body.get("balance"))
    return _ok()


def add_test_user(call):
    body = _body(call)
    call.emulator.add_test_user(
        _required(body, "phoneNumber"), card=body.get("card", "Credit"), loyalty_ids=body.get("loyaltyIds", ()),
        partial_capture=body.get("partialCapture", False), reservation_fails=body.get("reservationFails", False),
    )
    return _ok()


def update_settings(call):
    try:
        call.settings.update(_body(call))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return _ok()


def stats(call):
    return json_response(call.emulator.stats())


def dump_state(call):
    return json_response(call.emulator.dump_state())


def demo(call):
    return json_response(dataclasses.asdict(call.emulator.demo))


def notifications(call):
    return json_response(call.emulator.notifier.to_json())


def requests_log(call):
    return json_response([list(entry) for entry in call.emulator.requests_log])


def rules():
    posts = {
        "reset": reset,
        "advance-clock": advance_clock,
        "cancel-by-mobilepay": cancel_by_mobilepay,
        "expire-reservation": expire_reservation,
        "cancel-refund-by-mobilepay": cancel_refund_by_mobilepay,
        "reserve-refund": reserve_refund,
        "faults": add_fault,
        "faults/clear": clear_faults,
        "register-callback": register_callback,
        "add-integrator": add_integrator,
        "add-store": add_store,
        "set-store-balance": set_store_balance,
        "add-test-user": add_test_user,
        "settings": update_settings,
    }
    gets = {
        "stats": stats,
        "state": dump_state,
        "demo": demo,
        "notifications": notifications,
        "requests": requests_log,
    }
    return [Rule(f"/emulator/{name}", methods=["POST"], endpoint=fn) for name, fn in posts.items()] + [
        Rule(f"/emulator/{name}", methods=["GET"], endpoint=fn) for name, fn in gets.items()
    ]
