"""GET /stores, /stores/detailed, /stores/{storeId} (API.md section 8.1)."""

import uuid


def test_store_ids_of_the_merchant(api, emulator):
    other = emulator.add_store("DK90000028", "MPPOS12345", "00002", name="Second shop")
    emulator.add_store("DK11111111", "MPPOS12345", "00003", name="Another merchant's shop")
    response = api.get("/pos/v10/stores")
    assert response.status_code == 200
    assert response.json()["storeIds"] == [api.store_id, other]


def test_store_lookup_by_brand_and_location(api, emulator):
    response = api.get("/pos/v10/stores", params={"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001"})
    assert response.json() == {"storeIds": [api.store_id]}
    response = api.get("/pos/v10/stores", params={"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00009"})
    assert response.json() == {"storeIds": []}
    # The FI merchant has a store with the same brand/location pair; it is not the DK merchant's.
    response = api.get("/pos/v10/stores", vat="FI90000040",
                       params={"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001"})
    assert response.json() == {"storeIds": [emulator.demo.fi_store_id]}


def test_store_filter_errors(api, error):
    error(api.get("/pos/v10/stores", params={"merchantBrandId": "MPPOSCERT1"}), 400, "1122")
    error(api.get("/pos/v10/stores", params={"merchantLocationId": "00001"}), 400, "1122")
    error(api.get("/pos/v10/stores", params={"merchantBrandId": "XXPOS12345", "merchantLocationId": "00001"}),
          400, "1119")
    error(api.get("/pos/v10/stores", params={"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "0001"}),
          400, "1120")
    error(api.get("/pos/v10/stores/detailed", params={"merchantBrandId": "MPPOSCERT1"}), 400, "1122")


def test_detailed_stores(api):
    response = api.get("/pos/v10/stores/detailed")
    assert response.status_code == 200
    stores = response.json()
    assert [s["storeId"] for s in stores] == [api.store_id]
    assert stores[0]["merchantBrandId"] == "MPPOSCERT1"
    assert stores[0]["merchantLocationId"] == "00001"
    response = api.get("/pos/v10/stores/detailed",
                       params={"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001"})
    assert [s["storeId"] for s in response.json()] == [api.store_id]


def test_store_details(api, emulator):
    response = api.get(f"/pos/v10/stores/{api.store_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"storeId", "storeName", "storeStreet", "storeZipCode", "storeCity", "brandName",
                         "merchantBrandId", "merchantLocationId"}
    assert body["storeId"] == api.store_id
    # Upper-case GUIDs name the same store.
    assert api.get(f"/pos/v10/stores/{api.store_id.upper()}").json()["storeId"] == api.store_id


def test_unknown_or_foreign_store_is_404(api, emulator):
    assert api.get(f"/pos/v10/stores/{uuid.uuid4()}").status_code == 404
    assert api.get(f"/pos/v10/stores/{emulator.demo.fi_store_id}").status_code == 404
    assert api.get("/pos/v10/stores/12345", check_request=False).status_code == 404


def test_store_ids_are_stable_across_emulators():
    from mobilepay.v10.emulator import Emulator

    assert Emulator().demo.store_id == Emulator().demo.store_id
