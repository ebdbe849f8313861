"""HTTP endpoints of stores and points of sale (pos.yaml: Stores, Point Of Sales)."""

from werkzeug.routing import Rule

from ..schemas import CreatePosRequest
from . import pos_management, store_queries
from .api_errors import path_guid
from .responses import empty_response, json_response
from .views import checkin_json

BASE = "/pos/v10"


def get_store_ids(call):
    ctx = call.context()
    with call.state.transaction():
        stores = store_queries.find_stores(call.state, ctx, call.query("merchantBrandId"),
                                           call.query("merchantLocationId"))
        return json_response({"storeIds": [st.store_id for st in stores]})


def get_detailed_stores(call):
    ctx = call.context()
    with call.state.transaction():
        stores = store_queries.find_stores(call.state, ctx, call.query("merchantBrandId"),
                                           call.query("merchantLocationId"))
        return json_response([st.to_json() for st in stores])


def get_store(call, store_id):
    ctx = call.context()
    store_id = path_guid(store_id, "Store")
    with call.state.transaction():
        return json_response(store_queries.get_store(call.state, ctx, store_id).to_json())


def create_pos(call):
    ctx = call.context()

    def produce(now):
        request = call.body(CreatePosRequest)
        return {"posId": pos_management.create_pos(call.state, ctx, request, now)}

    return call.idempotent(ctx, "CreatePos", produce)


def get_pos_ids(call):
    ctx = call.context()
    with call.state.transaction():
        ids = pos_management.find_pos_ids(call.state, ctx, call.query("storeId"), call.query("beaconId"),
                                          call.query("merchantPosId"))
        return json_response({"posIds": ids})


def get_pos(call, pos_id):
    ctx = call.context()
    pos_id = path_guid(pos_id, "Point of sale")
    with call.state.transaction():
        return json_response(call.state.own_pos(ctx, pos_id, other_merchant_code="1410").to_json())


def delete_pos(call, pos_id):
    ctx = call.context()
    pos_id = path_guid(pos_id, "Point of sale")
    with call.state.transaction() as now:
        pos_management.delete_pos(call.state, ctx, pos_id, now)
        return empty_response()


def get_checkin(call, pos_id):
    ctx = call.context()
    pos_id = path_guid(pos_id, "Point of sale")
    call.polled(ctx, "checkin", pos_id)
    with call.state.transaction() as now:
        pos = call.state.own_pos(ctx, pos_id, other_merchant_code="1410")
        body = checkin_json(call.state, pos, now)
    call.answered_poll(ctx, "checkin", pos_id, body["pollDelayInMs"])
    return json_response(body)


def rules():
    return [
        Rule(BASE + "/stores", methods=["GET"], endpoint=get_store_ids),
        Rule(BASE + "/stores/detailed", methods=["GET"], endpoint=get_detailed_stores),
        Rule(BASE + "/stores/<store_id>", methods=["GET"], endpoint=get_store),
        Rule(BASE + "/pointofsales", methods=["GET"], endpoint=get_pos_ids),
        Rule(BASE + "/pointofsales", methods=["POST"], endpoint=create_pos),
        Rule(BASE + "/pointofsales/<pos_id>", methods=["GET"], endpoint=get_pos),
        Rule(BASE + "/pointofsales/<pos_id>", methods=["DELETE"], endpoint=delete_pos),
        Rule(BASE + "/pointofsales/<pos_id>/checkin", methods=["GET"], endpoint=get_checkin),
    ]
