"""HTTP endpoints of refunds (pos.yaml: Refunds). Their errors carry ``"origin": "PoS"``."""

from werkzeug.routing import Rule

from ..schemas import CreateRefundRequest
from . import refund_flow
from .api_errors import path_guid
from .responses import empty_response, json_response
from .store_pos_endpoints import BASE
from .views import refund_json


def create(call):
    ctx = call.context()

    def produce(now):
        request = call.body(CreateRefundRequest)
        return {"refundId": refund_flow.create(call.state, ctx, request, now)}

    return call.idempotent(ctx, "CreateRefund", produce)


def get_refund(call, refund_id):
    ctx = call.context()
    refund_id = path_guid(refund_id, "Refund")
    call.polled(ctx, "refund", refund_id)
    with call.state.transaction():
        body = refund_json(call.state, call.state.own_refund(ctx, refund_id))
    call.answered_poll(ctx, "refund", refund_id, body["pollDelayInMs"])
    return json_response(body)


def get_refund_ids(call):
    ctx = call.context()
    with call.state.transaction():
        return json_response({"refundIds": refund_flow.find_refund_ids(call.state, ctx, call.query("paymentId"))})


def capture(call, refund_id):
    ctx = call.context()
    refund_id = path_guid(refund_id, "Refund", code="1004")
    with call.state.transaction() as now:
        refund_flow.capture(call.state, ctx, refund_id, now)
    return empty_response()


def cancel(call, refund_id):
    ctx = call.context()
    refund_id = path_guid(refund_id, "Refund")
    with call.state.transaction() as now:
        refund_flow.cancel(call.state, ctx, refund_id, now)
    return empty_response()


def rules():
    return [
        Rule(BASE + "/refunds", methods=["POST"], endpoint=create),
        Rule(BASE + "/refunds", methods=["GET"], endpoint=get_refund_ids),
        Rule(BASE + "/refunds/<refund_id>", methods=["GET"], endpoint=get_refund),
        Rule(BASE + "/refunds/<refund_id>/capture", methods=["POST"], endpoint=capture),
        Rule(BASE + "/refunds/<refund_id>/cancel", methods=["POST"], endpoint=cancel),
    ]
