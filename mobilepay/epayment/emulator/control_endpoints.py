"""Test controls over HTTP, so that another process (e.g. Odoo) can drive the emulator.

JSON in and out, no authentication, never hit by injected faults, not in ``requests_log``.
Errors answer ``400 {"error": "..."}``. Every body is optional unless a field is marked required.

    POST   /emulator/reset                                  {}
    GET    /emulator/demo                                   the demo sales unit and customers
    GET    /emulator/state                                  payments, registrations, callback QRs, check-ins
    POST   /emulator/settings                               {"payment_expiry_s": 60, ...} (settings fields)
    POST   /emulator/clock/advance                          {"seconds": 600} (required)
    GET    /emulator/special-amounts                        {"on": true, "approval": {"151": "insufficient funds",
                                                             ...}, "unknownResult": {"201": 3600}, "refund": {...}}
    POST   /emulator/special-amounts                        {"on": false} (required): the setting special_amounts
                                                            (special_amounts.py), answered as GET
    GET    /emulator/payments/{reference}?msn=              the payment as the emulator holds it
    POST   /emulator/payments/{reference}/approve           {"phoneNumber": "4512345678", "msn": "123456"}
    POST   /emulator/payments/{reference}/reject            {"msn": ...}
    POST   /emulator/payments/{reference}/expire            {"msn": ...}
    POST   /emulator/payments/{reference}/processing        {"processing": true, "msn": ...}  (cancel: 6250)
    POST   /emulator/payments/{reference}/approve-after     {"seconds": 2 (required), "phoneNumber": ..., "msn": ...}
                                                            approving (cancel: 6250) for that long, then approved
    POST   /emulator/merchant-callback/{merchantQrId}/scan  {"phoneNumber": ..., "msn": ..., "initiatedAgoS": 0}
                                                            -> {"customerToken"}
    GET    /emulator/faults                                 the faults and their hits
    POST   /emulator/faults                                 {"method": "POST", "path": "/epayment/v1/payments",
                                                             "kind": "status", "status": 503, "latencyMs": 0,
                                                             "latencyMaxMs": null, "times": 1, "probability": 1,
                                                             "body": "", "code": null} -> {"fault": {...}}
                                                            (kind "problem" with "code": "6160": faults.py)
    DELETE /emulator/faults                                 remove them all
    GET    /emulator/deliveries                             every webhook delivery attempt
    POST   /emulator/deliveries/redeliver                   {"index": -1}: send that delivery again
    GET    /emulator/requests                               [[method, path, status], ...]
    POST   /emulator/sales-units                            {"msn": "654321" (required), "currency": "EUR",
                                                             "name": ..., "pushMessageAllowed": true,
                                                             "partialCaptureAllowed": true} -> the keys
    POST   /emulator/customers                              {"phoneNumber" (required), "name", "age", "country"}
"""

from werkzeug.routing import Rule

from ...emulator_kit import controls
from ...emulator_kit.controls import control_body, ok, required
from . import special_amounts
from .problems import ControlError
from .responses import json_response


def demo(call):
    return json_response(call.emulator.demo.to_json())


def update_settings(call):
    return controls.update_settings(call, control_body(call))


def advance_clock(call):
    seconds = required(control_body(call), "seconds")
    try:
        call.emulator.clock.advance(seconds)
    except ValueError as exc:
        raise ControlError(f"seconds: {exc}") from None
    return ok(clockOffsetSeconds=call.emulator.clock.offset_seconds)


def list_special_amounts(call):
    return json_response(special_amounts.to_json(call.settings))


def switch_special_amounts(call):
    on = required(control_body(call), "on")
    if not isinstance(on, bool):
        raise ControlError("on must be true or false")
    call.settings.special_amounts = on
    return list_special_amounts(call)


def payment(call, reference):
    return json_response(call.emulator.payment(reference, msn=call.request.args.get("msn")))


def approve(call, reference):
    body = control_body(call)
    return json_response(call.emulator.approve(reference, body.get("phoneNumber"), msn=body.get("msn")))


def reject(call, reference):
    return json_response(call.emulator.reject(reference, msn=control_body(call).get("msn")))


def expire(call, reference):
    return json_response(call.emulator.expire(reference, msn=control_body(call).get("msn")))


def processing(call, reference):
    body = control_body(call)
    return json_response(call.emulator.set_processing(reference, bool(body.get("processing", True)),
                                                      msn=body.get("msn")))


def approve_after(call, reference):
    body = control_body(call)
    return json_response(call.emulator.approve_after(reference, required(body, "seconds"), body.get("phoneNumber"),
                                                     msn=body.get("msn")))


def scan(call, merchant_qr_id):
    body = control_body(call)
    token = call.emulator.scan_callback_qr(merchant_qr_id, body.get("phoneNumber"), msn=body.get("msn"),
                                           initiated_ago_s=body.get("initiatedAgoS", 0))
    return json_response({"customerToken": token})


def list_faults(call):
    return json_response(call.emulator.faults.to_json())


def add_fault(call):
    return controls.add_fault(call, control_body(call), default_path="/epayment/v1/payments")


def deliveries(call):
    return json_response(call.emulator.deliveries)


def redeliver(call):
    index = control_body(call).get("index", -1)
    if isinstance(index, bool) or not isinstance(index, int):
        raise ControlError("index must be a whole number")
    try:
        return json_response(call.emulator.redeliver(index))
    except IndexError:
        raise ControlError(f"there is no delivery {index}") from None


def add_sales_unit(call):
    body = control_body(call)
    keys = call.emulator.add_sales_unit(
        required(body, "msn"), currency=body.get("currency", "DKK"), name=body.get("name"),
        push_message_allowed=body.get("pushMessageAllowed", True),
        partial_capture_allowed=body.get("partialCaptureAllowed", True),
    )
    return json_response({"clientId": keys.client_id, "clientSecret": keys.client_secret,
                          "subscriptionKey": keys.subscription_key, "msn": keys.msn, "currency": keys.currency})


def add_customer(call):
    body = control_body(call)
    customer = call.emulator.add_customer(required(body, "phoneNumber"), name=body.get("name", "Test Customer"),
                                          age=body.get("age", 30), country=body.get("country", "DK"))
    return json_response(customer.to_json())


def rules():
    p = "/emulator"
    return [
        Rule(p + "/reset", methods=["POST"], endpoint=controls.reset),
        Rule(p + "/demo", methods=["GET"], endpoint=demo),
        Rule(p + "/state", methods=["GET"], endpoint=controls.dump_state),
        Rule(p + "/settings", methods=["POST"], endpoint=update_settings),
        Rule(p + "/clock/advance", methods=["POST"], endpoint=advance_clock),
        Rule(p + "/special-amounts", methods=["GET"], endpoint=list_special_amounts),
        Rule(p + "/special-amounts", methods=["POST"], endpoint=switch_special_amounts),
        Rule(p + "/payments/<reference>", methods=["GET"], endpoint=payment),
        Rule(p + "/payments/<reference>/approve", methods=["POST"], endpoint=approve),
        Rule(p + "/payments/<reference>/reject", methods=["POST"], endpoint=reject),
        Rule(p + "/payments/<reference>/expire", methods=["POST"], endpoint=expire),
        Rule(p + "/payments/<reference>/processing", methods=["POST"], endpoint=processing),
        Rule(p + "/payments/<reference>/approve-after", methods=["POST"], endpoint=approve_after),
        Rule(p + "/merchant-callback/<merchant_qr_id>/scan", methods=["POST"], endpoint=scan),
        Rule(p + "/faults", methods=["GET"], endpoint=list_faults),
        Rule(p + "/faults", methods=["POST"], endpoint=add_fault),
        Rule(p + "/faults", methods=["DELETE"], endpoint=controls.clear_faults),
        Rule(p + "/deliveries", methods=["GET"], endpoint=deliveries),
        Rule(p + "/deliveries/redeliver", methods=["POST"], endpoint=redeliver),
        Rule(p + "/requests", methods=["GET"], endpoint=controls.requests_log),
        Rule(p + "/sales-units", methods=["POST"], endpoint=add_sales_unit),
        Rule(p + "/customers", methods=["POST"], endpoint=add_customer),
    ]
