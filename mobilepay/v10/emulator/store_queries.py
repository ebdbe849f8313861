"""GET /stores, GET /stores/detailed, GET /stores/{storeId} (API.md section 8.1)."""

from .. import formats as v10_formats
from .api_errors import ApiError, NotFound


def find_stores(state, ctx, merchant_brand_id, merchant_location_id):
    """No filter: every store of the merchant. Both: the one matching store.
    [Unconfirmed] Only one of the two: 1122."""
    if (merchant_brand_id is None) != (merchant_location_id is None):
        raise ApiError("1122")
    stores = state.merchant_stores(ctx.merchant_vat)
    if merchant_brand_id is None:
        return stores
    try:
        v10_formats.check_merchant_brand_id(merchant_brand_id)
    except ValueError:
        raise ApiError("1119") from None
    try:
        v10_formats.check_merchant_location_id(merchant_location_id)
    except ValueError:
        raise ApiError("1120") from None
    return [
        st for st in stores
        if st.merchant_brand_id == merchant_brand_id and st.merchant_location_id == merchant_location_id
    ]


def get_store(state, ctx, store_id):
    store = state.stores.get((store_id or "").lower())
    # A store of another merchant is "not found" (the operation documents no 403).
    if store is None or store.merchant_vat != ctx.merchant_vat:
        raise NotFound("Store not found")
    return store
