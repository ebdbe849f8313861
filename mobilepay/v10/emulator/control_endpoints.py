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

from werkzeug.routing import Rule

from ...emulator_kit import controls
from ...emulator_kit.controls import ok, required
from .api_errors import ControlError
from .responses import json_response


def _body(call):
    """The control's JSON object; an empty body is ``{}`` (a blank one is not JSON)."""
    return controls.control_body(call, not_json="the body must be JSON (and not nested too deeply)",
                                 blank_is_empty=False)


def advance_clock(call):
    body = _body(call)
    try:
        call.emulator.advance_clock(required(body, "seconds"))
    except ValueError as exc:
        raise ControlError(f"seconds: {exc}") from None
    return ok(clockOffsetSeconds=call.emulator.clock.offset_seconds)


def cancel_by_mobilepay(call):
    call.emulator.cancel_by_mobilepay(required(_body(call), "paymentId"))
    return ok()


def expire_reservation(call):
    call.emulator.expire_reservation(required(_body(call), "paymentId"))
    return ok()


def cancel_refund_by_mobilepay(call):
    call.emulator.cancel_refund_by_mobilepay(required(_body(call), "refundId"))
    return ok()


def reserve_refund(call):
    call.emulator.reserve_refund(required(_body(call), "refundId"))
    return ok()


def add_fault(call):
    return controls.add_fault(call, _body(call), default_path="/pos/v10/payments")


def register_callback(call):
    body = _body(call)
    call.emulator.register_callback(required(body, "alias"), required(body, "url"))
    return ok()


def add_integrator(call):
    body = _body(call)
    call.emulator.add_integrator(required(body, "clientId"), required(body, "clientSecret"))
    return ok()


def add_store(call):
    body = _body(call)
    store_id = call.emulator.add_store(
        required(body, "merchantVat"), required(body, "merchantBrandId"), required(body, "merchantLocationId"),
        name=body.get("name", "Emulator Store"), activated=body.get("activated", True), balance=body.get("balance"),
    )
    return ok(storeId=store_id)


def set_store_balance(call):
    body = _body(call)
    call.emulator.set_store_balance(required(body, "storeId"), body.get("balance"))
    return ok()


def add_test_user(call):
    body = _body(call)
    call.emulator.add_test_user(
        required(body, "phoneNumber"), card=body.get("card", "Credit"), loyalty_ids=body.get("loyaltyIds", ()),
        partial_capture=body.get("partialCapture", False), reservation_fails=body.get("reservationFails", False),
    )
    return ok()


def update_settings(call):
    return controls.update_settings(call, _body(call))


def stats(call):
    return json_response(call.emulator.stats())


def demo(call):
    return json_response(dataclasses.asdict(call.emulator.demo))


def notifications(call):
    return json_response(call.emulator.notifier.to_json())


def rules():
    posts = {
        "reset": controls.reset,
        "advance-clock": advance_clock,
        "cancel-by-mobilepay": cancel_by_mobilepay,
        "expire-reservation": expire_reservation,
        "cancel-refund-by-mobilepay": cancel_refund_by_mobilepay,
        "reserve-refund": reserve_refund,
        "faults": add_fault,
        "faults/clear": controls.clear_faults,
        "register-callback": register_callback,
        "add-integrator": add_integrator,
        "add-store": add_store,
        "set-store-balance": set_store_balance,
        "add-test-user": add_test_user,
        "settings": update_settings,
    }
    gets = {
        "stats": stats,
        "state": controls.dump_state,
        "demo": demo,
        "notifications": notifications,
        "requests": controls.requests_log,
    }
    return [Rule(f"/emulator/{name}", methods=["POST"], endpoint=fn) for name, fn in posts.items()] + [
        Rule(f"/emulator/{name}", methods=["GET"], endpoint=fn) for name, fn in gets.items()
    ]
