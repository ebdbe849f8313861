"""Test controls over HTTP, so that another process (e.g. Odoo) can drive the emulator.

JSON in and out, no authentication, never hit by injected faults, not in ``requests_log``.
Errors answer ``400 {"error": "..."}``. Every body is optional unless a field is marked required.

    POST   /emulator/reset                                  {}
    GET    /emulator/demo                                   the demo sales unit and customers
    GET    /emulator/state                                  payments, registrations, callback QRs, check-ins
    POST   /emulator/settings                               {"payment_expiry_s": 60, ...} (settings fields)
    POST   /emulator/clock/advance                          {"seconds": 600} (required)
    GET    /emulator/payments/{reference}?msn=              the payment as the emulator holds it
    POST   /emulator/payments/{reference}/approve           {"phoneNumber": "4512345678", "msn": "123456"}
    POST   /emulator/payments/{reference}/reject            {"msn": ...}
    POST   /emulator/payments/{reference}/expire            {"msn": ...}
    POST   /emulator/payments/{reference}/processing        {"processing": true, "msn": ...}  (cancel: 6250)
    POST   /emulator/merchant-callback/{merchantQrId}/scan  {"phoneNumber": ..., "msn": ...} -> {"customerToken"}
    GET    /emulator/faults                                 the faults and their hits
    POST   /emulator/faults                                 {"method": "POST", "path": "/epayment/v1/payments",
                                                             "kind": "status", "status": 503, "latencyMs": 0,
                                                             "latencyMaxMs": null, "times": 1, "probability": 1,
                                                             "body": ""} -> {"fault": {...}}
    DELETE /emulator/faults                                 remove them all
    GET    /emulator/deliveries                             every webhook delivery attempt
    POST   /emulator/deliveries/redeliver                   {"index": -1}: send that delivery again
    GET    /emulator/requests                               [[method, path, status], ...]
    POST   /emulator/sales-units                            {"msn": "654321" (required), "currency": "EUR",
                                                             "name": ..., "pushMessageAllowed": true,
                                                             "partialCaptureAllowed": true} -> the keys
    POST   /emulator/customers                              {"phoneNumber" (required), "name", "age", "country"}
"""

import json

from werkzeug.routing import Rule

from .problems import ControlError
from .responses import json_response


def _body(call):
    raw = call.request.get_data()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ControlError("the body must be JSON") from None
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


def demo(call):
    return json_response(call.emulator.demo.to_json())


def dump_state(call):
    return json_response(call.emulator.dump_state())


def update_settings(call):
    try:
        call.settings.update(_body(call))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return _ok()


def advance_clock(call):
    seconds = _required(_body(call), "seconds")
    try:
        call.emulator.clock.advance(seconds)
    except ValueError as exc:
        raise ControlError(f"seconds: {exc}") from None
    return _ok(clockOffsetSeconds=call.emulator.clock.offset_seconds)


def payment(call, reference):
    return json_response(call.emulator.payment(reference, msn=call.request.args.get("msn")))


def approve(call, reference):
    body = _body(call)
    return json_response(call.emulator.approve(reference, body.get("phoneNumber"), msn=body.get("msn")))


def reject(call, reference):
    return json_response(call.emulator.reject(reference, msn=_body(call).get("msn")))


def expire(call, reference):
    return json_response(call.emulator.expire(reference, msn=_body(call).get("msn")))


def processing(call, reference):
    body = _body(call)
    return json_response(call.emulator.set_processing(reference, bool(body.get("processing", True)),
                                                      msn=body.get("msn")))


def scan(call, merchant_qr_id):
    body = _body(call)
    token = call.emulator.scan_callback_qr(merchant_qr_id, body.get("phoneNumber"), msn=body.get("msn"))
    return json_response({"customerToken": token})


def list_faults(call):
    return json_response(call.emulator.faults.to_json())


def add_fault(call):
    body = _body(call)
    try:
        fault = call.emulator.faults.add(
            method=body.get("method", "POST"), path=body.get("path", "/epayment/v1/payments"),
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


def deliveries(call):
    return json_response(call.emulator.deliveries)


def redeliver(call):
    index = _body(call).get("index", -1)
    if isinstance(index, bool) or not isinstance(index, int):
        raise ControlError("index must be a whole number")
    try:
        return json_response(call.emulator.redeliver(index))
    except IndexError:
        raise ControlError(f"there is no delivery {index}") from None


def requests_log(call):
    return json_response([list(entry) for entry in call.emulator.requests_log])


def add_sales_unit(call):
    body = _body(call)
    keys = call.emulator.add_sales_unit(
        _required(body, "msn"), currency=body.get("currency", "DKK"), name=body.get("name"),
        push_message_allowed=body.get("pushMessageAllowed", True),
        partial_capture_allowed=body.get("partialCaptureAllowed", True),
    )
    return json_response({"clientId": keys.client_id, "clientSecret": keys.client_secret,
                          "subscriptionKey": keys.subscription_key, "msn": keys.msn, "currency": keys.currency})


def add_customer(call):
    body = _body(call)
    customer = call.emulator.add_customer(_required(body, "phoneNumber"), name=body.get("name", "Test Customer"),
                                          age=body.get("age", 30), country=body.get("country", "DK"))
    return json_response(customer.to_json())


def rules():
    p = "/emulator"
    return [
        Rule(p + "/reset", methods=["POST"], endpoint=reset),
        Rule(p + "/demo", methods=["GET"], endpoint=demo),
        Rule(p + "/state", methods=["GET"], endpoint=dump_state),
        Rule(p + "/settings", methods=["POST"], endpoint=update_settings),
        Rule(p + "/clock/advance", methods=["POST"], endpoint=advance_clock),
        Rule(p + "/payments/<reference>", methods=["GET"], endpoint=payment),
        Rule(p + "/payments/<reference>/approve", methods=["POST"], endpoint=approve),
        Rule(p + "/payments/<reference>/reject", methods=["POST"], endpoint=reject),
        Rule(p + "/payments/<reference>/expire", methods=["POST"], endpoint=expire),
        Rule(p + "/payments/<reference>/processing", methods=["POST"], endpoint=processing),
        Rule(p + "/merchant-callback/<merchant_qr_id>/scan", methods=["POST"], endpoint=scan),
        Rule(p + "/faults", methods=["GET"], endpoint=list_faults),
        Rule(p + "/faults", methods=["POST"], endpoint=add_fault),
        Rule(p + "/faults", methods=["DELETE"], endpoint=clear_faults),
        Rule(p + "/deliveries", methods=["GET"], endpoint=deliveries),
        Rule(p + "/deliveries/redeliver", methods=["POST"], endpoint=redeliver),
        Rule(p + "/requests", methods=["GET"], endpoint=requests_log),
        Rule(p + "/sales-units", methods=["POST"], endpoint=add_sales_unit),
        Rule(p + "/customers", methods=["POST"], endpoint=add_customer),
    ]
