"""Points of sale: create, find, read, delete, and the polled check-in (API.md section 8.2)."""

from ... import formats
from .api_errors import ApiError
from .records import PointOfSale


def create_pos(state, ctx, request, now) -> str:
    store = state.stores.get(request.store_id)
    if store is None:
        raise ApiError("1002")
    if store.merchant_vat != ctx.merchant_vat:
        raise ApiError("1403")
    active = [p for p in state.points_of_sale.values() if not p.deleted]
    # merchantPosId is unique per (integrator, merchant) among PoSes that are not deleted.
    if any(
        p.merchant_pos_id == request.merchant_pos_id and p.client_id == ctx.client_id
        and p.merchant_vat == ctx.merchant_vat
        for p in active
    ):
        raise ApiError("1200")
    beacon_id = request.beacon_id or formats.new_guid()
    # The beaconId is unique globally among PoSes that are not deleted.
    if any(p.beacon_id == beacon_id for p in active):
        raise ApiError("1202")
    pos = PointOfSale(
        pos_id=formats.new_guid(),
        client_id=ctx.client_id,
        merchant_vat=ctx.merchant_vat,
        store_id=store.store_id,
        merchant_pos_id=request.merchant_pos_id,
        name=request.name,
        beacon_id=beacon_id,
        callback_alias=request.callback_alias,
        supported_beacon_types=[t.value for t in request.supported_beacon_types],
        require_payment_before_checkin=request.require_payment_before_checkin,
        created_at=now,
    )
    state.points_of_sale[pos.pos_id] = pos
    return pos.pos_id


def find_pos_ids(state, ctx, store_id, beacon_id, merchant_pos_id) -> list:
    """Filters are ANDed. [Unconfirmed] no filter at all: 1121; deleted PoSes are never listed."""
    if store_id is None and beacon_id is None and merchant_pos_id is None:
        raise ApiError("1121")
    if store_id is not None:
        try:
            store_id = formats.check_guid(store_id)
        except ValueError:
            raise ApiError("1099", message="storeId must be a GUID") from None
    if beacon_id is not None:
        beacon_id = beacon_id.lower()
    found = []
    for pos in state.points_of_sale.values():
        if pos.deleted or pos.client_id != ctx.client_id or pos.merchant_vat != ctx.merchant_vat:
            continue
        if store_id is not None and pos.store_id != store_id:
            continue
        if beacon_id is not None and pos.beacon_id != beacon_id:
            continue
        if merchant_pos_id is not None and pos.merchant_pos_id != merchant_pos_id:
            continue
        found.append(pos.pos_id)
    return found


def delete_pos(state, ctx, pos_id, now):
    """A deleted PoS is gone for the API (404), its beacon and merchantPosId are free again, and its
    pending check-in is dropped. Its Reserved payments can still be captured or cancelled."""
    pos = state.own_pos(ctx, pos_id, other_merchant_code="1409")
    pos.deleted_at = now
    pos.checkin = None
