"""HTTP endpoints of payments (pos.yaml: Payments)."""

from werkzeug.routing import Rule

from ..schemas import CapturePaymentRequest, InitiatePaymentRequest, PaymentReadyRequest, PreparePaymentRequest
from . import payment_flow
from .api_errors import path_guid
from .responses import empty_response, json_response
from .store_pos_endpoints import BASE
from .views import payment_json


def initiate(call):
    ctx = call.context()

    def produce(now):
        request = call.body(InitiatePaymentRequest)
        return {"paymentId": payment_flow.initiate(call.state, ctx, request, now)}

    return call.idempotent(ctx, "InitiatePayment", produce)


def prepare(call):
    ctx = call.context()

    def produce(now):
        request = call.body(PreparePaymentRequest)
        return {"paymentId": payment_flow.prepare(call.state, ctx, request, now)}

    return call.idempotent(ctx, "PreparePayment", produce)


def ready(call, payment_id):
    ctx = call.context()
    request = call.body(PaymentReadyRequest)
    payment_id = path_guid(payment_id, "Payment")
    with call.state.transaction() as now:
        payment_flow.ready(call.state, ctx, payment_id, request, now)
    return empty_response()


def capture(call, payment_id):
    ctx = call.context()
    request = call.body(CapturePaymentRequest)
    payment_id = path_guid(payment_id, "Payment")
    with call.state.transaction() as now:
        payment_flow.capture(call.state, ctx, payment_id, request, now)
    return empty_response()


def cancel(call, payment_id):
    ctx = call.context()
    payment_id = path_guid(payment_id, "Payment")
    with call.state.transaction() as now:
        payment_flow.cancel(call.state, ctx, payment_id, now)
    return empty_response()


def get_payment(call, payment_id):
    ctx = call.context()
    payment_id = path_guid(payment_id, "Payment")
    call.polled(ctx, "payment", payment_id)
    with call.state.transaction() as now:
        payment = call.state.own_payment(ctx, payment_id, other_merchant_code="1411")
        body = payment_json(call.state, payment, now)
    call.answered_poll(ctx, "payment", payment_id, body["pollDelayInMs"])
    return json_response(body)


def get_payment_ids(call):
    ctx = call.context()
    with call.state.transaction():
        ids = payment_flow.find_payment_ids(call.state, ctx, call.query("posId"), call.query("orderId"),
                                            call.query("state"))
        return json_response({"paymentIds": ids})


def rules():
    return [
        Rule(BASE + "/payments", methods=["POST"], endpoint=initiate),
        Rule(BASE + "/payments", methods=["GET"], endpoint=get_payment_ids),
        Rule(BASE + "/payments/prepare", methods=["POST"], endpoint=prepare),
        Rule(BASE + "/payments/<payment_id>", methods=["GET"], endpoint=get_payment),
        Rule(BASE + "/payments/<payment_id>/ready", methods=["POST"], endpoint=ready),
        Rule(BASE + "/payments/<payment_id>/capture", methods=["POST"], endpoint=capture),
        Rule(BASE + "/payments/<payment_id>/cancel", methods=["POST"], endpoint=cancel),
    ]
