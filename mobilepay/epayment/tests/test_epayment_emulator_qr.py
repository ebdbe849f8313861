"""ePayment emulator: merchant callback QRs, migrated v10 stickers and the QR exchange (API.md 11)."""

import io

import pytest
from PIL import Image


def _qr(epayment_api, merchant_qr_id, **params):
    response = epayment_api.get(f"/qr/v1/merchant-callback/{merchant_qr_id}", params=params or None)
    assert response.status_code == 200, response.text
    return response.json()


def test_put_creates_and_get_describes_the_sticker(epayment_api, epayment_emulator):
    response = epayment_api.put_callback_qr("odoo-3-till-1", "Kasse 1")
    assert response.content == b""
    qr = _qr(epayment_api, "odoo-3-till-1")
    assert qr["merchantSerialNumber"] == epayment_emulator.demo.msn
    assert qr["merchantQrId"] == "odoo-3-till-1"
    assert qr["locationDescription"] == "Kasse 1"
    assert qr["category"] == "IN_STORE"  # API.md 0 (May 2024): the default
    assert qr["qrContent"].startswith(epayment_emulator.base_url + "/phone/scan/")
    image = epayment_api.fetch(qr["qrImageUrl"])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/svg+xml"  # SVG by default


def test_image_format_and_size(epayment_api):
    epayment_api.put_callback_qr("till-1")
    qr = _qr(epayment_api, "till-1", QrImageFormat="PNG", QrImageSize=600)
    image = epayment_api.fetch(qr["qrImageUrl"])
    assert image.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (600, 600)
    bad = epayment_api.get("/qr/v1/merchant-callback/till-1", params={"QrImageFormat": "GIF"},
                           validate_request=False)
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "QrImageFormat"
    small = epayment_api.get("/qr/v1/merchant-callback/till-1", params={"QrImageSize": "50"}, validate_request=False)
    assert small.status_code == 400


def test_put_again_updates_the_description_only(epayment_api):
    epayment_api.put_callback_qr("till-1", "Kasse 1")
    before = _qr(epayment_api, "till-1")
    epayment_api.put_callback_qr("till-1", "Kasse 1 (ved vinduet)", extra={"category": "VENDING"})
    after = _qr(epayment_api, "till-1")
    assert after["locationDescription"] == "Kasse 1 (ved vinduet)" and after["category"] == "VENDING"
    assert (after["qrContent"], after["qrImageUrl"]) == (before["qrContent"], before["qrImageUrl"])
    epayment_api.put_callback_qr("till-1", "Kasse 1")
    assert _qr(epayment_api, "till-1")["category"] == "VENDING"  # not sent: kept


@pytest.mark.parametrize("body, field", [
    ({}, "locationDescription"),
    ({"locationDescription": "x" * 37}, "locationDescription"),
    ({"locationDescription": "Kasse 1", "category": "DRIVE_IN"}, "category"),
])
def test_put_validation(epayment_api, body, field):
    response = epayment_api.put("/qr/v1/merchant-callback/till-1", body, validate_request=False)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["title"] and error["detail"] and error["instance"]
    assert error["invalidParams"][0]["name"] == field


def test_list_and_delete(epayment_api, epayment_emulator):
    epayment_api.put_callback_qr("till-1", "Kasse 1")
    epayment_api.put_callback_qr("till-2", "Kasse 2")
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    epayment_api.put_callback_qr("till-1", "Andet", keys=other)  # the same id in another MSN
    listed = epayment_api.get("/qr/v1/merchant-callback", params={"QrImageFormat": "PNG"}).json()
    assert [q["merchantQrId"] for q in listed] == ["till-1", "till-2"]
    assert all("format=png" in q["qrImageUrl"] for q in listed)
    image_url = listed[0]["qrImageUrl"]
    deleted = epayment_api.delete("/qr/v1/merchant-callback/till-1")
    assert deleted.status_code == 200
    assert epayment_api.delete("/qr/v1/merchant-callback/till-1").status_code == 404
    assert epayment_api.get("/qr/v1/merchant-callback/till-1").status_code == 404
    assert epayment_api.fetch(image_url).status_code == 404
    assert [q["merchantQrId"] for q in epayment_api.get("/qr/v1/merchant-callback").json()] == ["till-2"]
    assert epayment_api.get("/qr/v1/merchant-callback/till-1", keys=other).json()["locationDescription"] == "Andet"


def test_migrating_a_v10_sticker(epayment_api, epayment_emulator):
    beacon = "5d7e0c2a-1b3f-4e6a-9c8d-7f6e5d4c3b2a"
    response = epayment_api.put(f"/qr/v1/merchant-callback/mobilepay/{beacon}", {"locationDescription": "Kasse 1"})
    assert response.status_code == 200 and response.content == b""
    qr = _qr(epayment_api, beacon)
    assert qr["qrContent"] == f"mobilepaypos://pos?id={beacon}&source=qr"  # what the printed sticker says
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    conflict = epayment_api.put(f"/qr/v1/merchant-callback/mobilepay/{beacon}", {"locationDescription": "X"},
                                keys=other)
    assert conflict.status_code == 409
    again = epayment_api.put(f"/qr/v1/merchant-callback/mobilepay/{beacon}", {"locationDescription": "Kasse 9"})
    assert again.status_code == 200 and _qr(epayment_api, beacon)["locationDescription"] == "Kasse 9"
    epayment_api.delete(f"/qr/v1/merchant-callback/{beacon}")
    freed = epayment_api.put(f"/qr/v1/merchant-callback/mobilepay/{beacon}", {"locationDescription": "X"},
                             keys=other)
    assert freed.status_code == 200
    bad = epayment_api.put("/qr/v1/merchant-callback/mobilepay/not-a-beacon", {"locationDescription": "X"})
    assert bad.status_code == 400


def test_merchant_qr_id_characters(epayment_api):
    response = epayment_api.put("/qr/v1/merchant-callback/till%20one", {"locationDescription": "Kasse 1"})
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "merchantQrId"


def test_exchange_personal_qr_and_customer_token(epayment_api, epayment_emulator, webhook_receiver):
    phone = epayment_emulator.demo.phone_numbers[0]
    answer = epayment_api.post("/qr/v1/exchange", {"qrCode": epayment_emulator.demo.personal_qrs[phone],
                                                   "requestedData": ["MSISDN"]})
    assert answer.status_code == 200 and answer.json() == {"msisdn": phone, "version": "1.0"}
    unknown = epayment_api.post("/qr/v1/exchange", {"qrCode": "https://qr.vipps.no/p/nobody"})
    assert unknown.status_code == 400 and unknown.json()["extraDetails"][0]["name"] == "qrCode"
    epayment_api.register_webhook(webhook_receiver().url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    token = epayment_emulator.scan_callback_qr("till-1", phone)
    exchanged = epayment_api.post("/qr/v1/exchange/customer", {"customer": {"customerToken": token},
                                                               "requestedData": ["MSISDN"]})
    assert exchanged.status_code == 200 and exchanged.json()["msisdn"] == phone
    missing = epayment_api.post("/qr/v1/exchange/customer", {"requestedData": ["MSISDN"]}, validate_request=False)
    assert missing.status_code == 400 and missing.json()["extraDetails"][0]["name"] == "customer"
