"""ePayment emulator: creating payments in the four in-store flows, and what create refuses (API.md 1, 6, 7.1)."""

import copy
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

RECEIPT = {
    "orderLines": [
        {"name": "Coffee", "id": "product-17", "totalAmount": 3500, "totalAmountExcludingTax": 2800,
         "totalTaxAmount": 700, "taxPercentage": 25,
         "unitInfo": {"unitPrice": 3500, "quantity": "1", "quantityUnit": "PCS"}, "discount": 0,
         "isReturn": False, "isShipping": False},
        {"name": "Bun", "id": "product-18", "totalAmount": 2500, "totalAmountExcludingTax": 2000,
         "totalTaxAmount": 500, "taxRate": 2500},  # taxRate: the later replacement of taxPercentage
    ],
    "bottomLine": {"currency": "DKK", "posId": "Till 1", "receiptNumber": "0042-0007",
                   "paymentSources": {"card": 0, "cash": 0, "giftCard": 0, "voucher": 0}, "tipAmount": 0},
}


def _image(epayment_api, url):
    return epayment_api.fetch(url)


# ---------------------------------------------------------------------------------------------- QR flow


def test_qr_flow_answers_a_link_to_an_svg_of_this_payment(epayment_api, epayment_emulator):
    body = epayment_api.payment_body(flow="QR", qrFormat={"format": "IMAGE/SVG+XML"})
    response = epayment_api.create(body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["reference"] == body["reference"]
    assert answer["redirectUrl"].startswith(epayment_emulator.base_url + "/qr-image/v1?token=")
    image = _image(epayment_api, answer["redirectUrl"])
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert image.content.startswith(b"<?xml") or b"<svg" in image.content[:200]


def test_qr_flow_defaults_to_svg(epayment_api):
    body = epayment_api.payment_body(flow="QR")
    image = _image(epayment_api, epayment_api.create(body).json()["redirectUrl"])
    assert image.headers["Content-Type"] == "image/svg+xml"


def test_qr_flow_png_has_the_requested_size(epayment_api):
    body = epayment_api.payment_body(flow="QR", qrFormat={"format": "IMAGE/PNG", "size": 300})
    image = _image(epayment_api, epayment_api.create(body).json()["redirectUrl"])
    assert image.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (300, 300)
    default = epayment_api.payment_body(flow="QR", qrFormat={"format": "IMAGE/PNG"})
    image = _image(epayment_api, epayment_api.create(default).json()["redirectUrl"])
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)  # API.md 6.4: default 1024


def test_qr_flow_target_url_is_the_phone_page_of_the_payment(epayment_api, epayment_emulator):
    body = epayment_api.payment_body(flow="QR", qrFormat={"format": "TEXT/TARGETURL"})
    url = epayment_api.create(body).json()["redirectUrl"]
    assert re.fullmatch(re.escape(epayment_emulator.base_url) + r"/phone/pay/[A-Za-z0-9_-]+", url)
    page = epayment_api.fetch(url)
    assert page.status_code == 200
    assert "12,50 DKK" in page.text
    assert epayment_emulator.payment(body["reference"])["targetUrl"] == url


def test_qr_image_link_answers_404_once_the_payment_is_final(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(flow="QR")
    url = epayment_emulator.payment(reference)["redirectUrl"]
    assert _image(epayment_api, url).status_code == 200
    epayment_emulator.approve(reference)
    assert _image(epayment_api, url).status_code == 404
    assert _image(epayment_api, epayment_emulator.base_url + "/qr-image/v1?token=nope").status_code == 404


def test_get_payment_of_a_new_qr_payment(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(flow="QR", metadata={"odooOrder": "00042-0007"})
    payment = epayment_api.payment(reference)
    assert payment["state"] == "CREATED"
    assert payment["amount"] == {"currency": "DKK", "value": 1250}
    assert payment["aggregate"]["authorizedAmount"] == {"currency": "DKK", "value": 0}
    assert payment["paymentMethod"] == {"type": "WALLET"}
    assert payment["profile"] == {}
    assert payment["metadata"] == {"odooOrder": "00042-0007"}
    assert "captureGuaranteedUntil" not in payment  # only once authorized
    assert payment["pspReference"] == epayment_emulator.payment(reference)["pspReference"]


# ---------------------------------------------------------------------------------------------- push flows


def test_phone_number_flow_pushes_the_payment_to_the_customer(epayment_api, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"phoneNumber": phone})
    response = epayment_api.create(body)
    assert response.status_code == 201, response.text
    assert response.json() == {"reference": body["reference"]}  # no redirectUrl for PUSH_MESSAGE
    held = epayment_emulator.payment(body["reference"])
    assert (held["customer"], held["customerVariant"], held["flow"]) == (phone, "phoneNumber", "PUSH_MESSAGE")
    assert "redirectUrl" not in epayment_api.payment(body["reference"])


def test_personal_qr_flow(epayment_api, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[3]
    text = epayment_emulator.demo.personal_qrs[phone]
    assert text.startswith("https://qr.vipps.no/p/")
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"personalQr": text})
    assert epayment_emulator.payment(reference)["customer"] == phone


def test_customer_token_flow_after_a_scan(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    phone = epayment_emulator.demo.phone_numbers[1]
    token = epayment_emulator.scan_callback_qr("till-1", phone)
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"customerToken": token})
    held = epayment_emulator.payment(reference)
    assert (held["customer"], held["merchantQrId"]) == (phone, "till-1")


def test_customer_token_expires_after_15_minutes(epayment_api, epayment_emulator, webhook_receiver, problem):
    epayment_api.register_webhook(webhook_receiver().url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    token = epayment_emulator.scan_callback_qr("till-1")
    epayment_emulator.clock.advance(15 * 60)
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
    problem(epayment_api.create(body), 400, code="4050")


def test_customer_token_belongs_to_one_sales_unit(epayment_api, epayment_emulator, webhook_receiver, problem):
    epayment_api.register_webhook(webhook_receiver().url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    token = epayment_emulator.scan_callback_qr("till-1")
    other = epayment_emulator.add_sales_unit("654321", "DKK")
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"customerToken": token})
    problem(epayment_api.create(body, keys=other), 400, code="4050")
    body["customer"]["customerToken"] = "bm90LWEtdG9rZW4="
    problem(epayment_api.create(body), 400, code="4050")


@pytest.mark.parametrize("customer, code", [
    ({"phoneNumber": "4599999999"}, "7010"),  # not a customer (API.md 6.3: do not tell which)
    ({"phoneNumber": "+4512345678"}, "4070"),
    ({"phoneNumber": "12345"}, "4070"),
    ({"personalQr": "https://qr.vipps.no/p/unknown"}, "4060"),
])
def test_unknown_or_malformed_customers(epayment_api, problem, customer, code):
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer=customer)
    problem(epayment_api.create(body, validate_request=code != "4070"), 400, code=code)


def test_push_message_needs_exactly_one_customer_variant(epayment_api, epayment_emulator, problem):
    phone = epayment_emulator.demo.phone_numbers[0]
    none = epayment_api.payment_body(flow="PUSH_MESSAGE")
    problem(epayment_api.create(none), 400, code="4140")
    two = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={
        "phoneNumber": phone, "personalQr": epayment_emulator.demo.personal_qrs[phone]})
    problem(epayment_api.create(two, validate_request=False), 400, field="customer")
    empty = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={})
    problem(epayment_api.create(empty, validate_request=False), 400, field="customer")


def test_push_message_needs_the_sales_unit_permission(epayment_api, epayment_emulator, problem):
    epayment_emulator.sales_unit().push_message_allowed = False
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"phoneNumber": "4512345678"})
    problem(epayment_api.create(body), 400, code="5080")
    assert epayment_api.create(epayment_api.payment_body(flow="QR")).status_code == 201  # QR does not need it


def test_minimum_user_age(epayment_api, epayment_emulator, problem):
    minor = next(c for c in epayment_emulator.demo.customers if c.age < 18)
    adult = next(c for c in epayment_emulator.demo.customers if c.age >= 18)
    body = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"phoneNumber": minor.phone_number},
                                     minimumUserAge=18)
    problem(epayment_api.create(body), 400, code="7010")
    ok = epayment_api.payment_body(flow="PUSH_MESSAGE", customer={"phoneNumber": adult.phone_number},
                                   minimumUserAge=18)
    assert epayment_api.create(ok).status_code == 201
    # QR: the customer is known only when approving; the app refuses a minor.
    reference = epayment_api.create_payment(flow="QR", minimumUserAge=18)
    with pytest.raises(Exception, match="at least 18"):
        epayment_emulator.approve(reference, minor.phone_number)
    assert epayment_emulator.approve(reference, adult.phone_number)["state"] == "AUTHORIZED"


def test_receipt_is_accepted_and_kept(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(value=6000, receipt=RECEIPT)
    assert epayment_emulator.payment(reference)["receipt"] == RECEIPT


@pytest.mark.parametrize("change, field", [
    (lambda r: r.update(orderLines=[]), "receipt.orderLines"),
    (lambda r: r.pop("bottomLine"), "receipt.bottomLine"),
    (lambda r: r["bottomLine"].pop("currency"), "receipt.bottomLine.currency"),
    (lambda r: r["orderLines"][0].pop("name"), "receipt.orderLines[0].name"),
    (lambda r: r["orderLines"][0].pop("taxPercentage"), "receipt.orderLines[0].taxPercentage"),
    (lambda r: r["orderLines"][0].update(taxPercentage=125), "receipt.orderLines[0].taxPercentage"),
    (lambda r: r["orderLines"][0].update(totalAmount=35.0), "receipt.orderLines[0].totalAmount"),
    (lambda r: r["orderLines"][0]["unitInfo"].update(quantity="1,5"), "receipt.orderLines[0].unitInfo.quantity"),
    (lambda r: r["orderLines"][0]["unitInfo"].update(quantityUnit="BOX"),
     "receipt.orderLines[0].unitInfo.quantityUnit"),
])
def test_receipt_validation(epayment_api, problem, change, field):
    receipt = copy.deepcopy(RECEIPT)
    change(receipt)
    body = epayment_api.payment_body(value=6000, receipt=receipt)
    problem(epayment_api.create(body, validate_request=False), 400, field=field)


def test_receipt_sum_check_is_a_setting(epayment_api, epayment_emulator, problem):
    epayment_emulator.settings.receipt_sum_check = True
    problem(epayment_api.create(epayment_api.payment_body(value=5999, receipt=RECEIPT)), 400, code="5070")
    assert epayment_api.create(epayment_api.payment_body(value=6000, receipt=RECEIPT)).status_code == 201


# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("change, status, code, field", [
    (lambda b: b.update(reference="short"), 400, None, "reference"),
    (lambda b: b.update(reference="has space-1234"), 400, None, "reference"),
    (lambda b: b.pop("reference"), 400, None, "reference"),
    (lambda b: b.pop("amount"), 400, None, "amount"),
    (lambda b: b["amount"].update(value=12.5), 400, "4040", None),
    (lambda b: b["amount"].update(value="1250"), 400, None, "amount.value"),
    (lambda b: b["amount"].update(value=-1), 400, None, "amount.value"),
    (lambda b: b["amount"].update(currency="SEK"), 400, None, "amount.currency"),
    (lambda b: b["amount"].update(currency="NOK", value=10000), 400, "5040", None),
    (lambda b: b["amount"].update(value=0), 400, "6010", None),
    (lambda b: b.pop("paymentMethod"), 400, None, "paymentMethod"),
    (lambda b: b.update(paymentMethod={"type": "CASH"}), 400, None, "paymentMethod.type"),
    (lambda b: b.update(userFlow="SMS"), 400, None, "userFlow"),
    (lambda b: b.update(customerInteraction="MAYBE"), 400, None, "customerInteraction"),
    (lambda b: b.update(paymentDescription="ab"), 400, None, "paymentDescription"),
    (lambda b: b.update(paymentDescription="x" * 101), 400, None, "paymentDescription"),
    (lambda b: b.update(qrFormat={"format": "IMAGE/GIF"}), 400, None, "qrFormat.format"),
    (lambda b: b.update(qrFormat={"format": "IMAGE/PNG", "size": 50}), 400, None, "qrFormat.size"),
    (lambda b: b.update(metadata={f"k{i}": "v" for i in range(6)}), 400, None, "metadata"),
    (lambda b: b.update(metadata={"k": "v" * 501}), 400, None, "metadata.k"),
    (lambda b: b.update(metadata={"k" * 101: "v"}), 400, None, "metadata"),
    (lambda b: b.update(minimumUserAge="18"), 400, None, "minimumUserAge"),
    (lambda b: b.update(userFlow="WEB_REDIRECT"), 400, "4140", None),
])
def test_create_validation(epayment_api, problem, change, status, code, field):
    body = epayment_api.payment_body()
    change(body)
    response = epayment_api.create(body, validate_request=False)
    problem(response, status, code=code, field=field)


def test_reference_may_be_64_characters_since_v1_7(epayment_api, problem):
    # API.md 0 / 6.2: 8-50 in the saved spec 1.4.1, 8-64 since v1.7.0 (the contract checker is patched).
    assert epayment_api.create(epayment_api.payment_body(reference="r" * 64)).status_code == 201
    problem(epayment_api.create(epayment_api.payment_body(reference="r" * 65), validate_request=False), 400,
            field="reference")


def test_unknown_request_fields_are_tolerated(epayment_api):
    body = epayment_api.payment_body(futureField={"x": 1}, shipping={"anything": True})
    body["amount"]["extra"] = 1
    assert epayment_api.create(body).status_code == 201


def test_create_body_must_be_a_json_object(epayment_api, problem):
    for data in (b"", b"not json", b"[1, 2]"):
        response = epayment_api.post("/epayment/v1/payments", data=data, idempotency_key="key-" + str(len(data)),
                                     headers={"Content-Type": "application/json"}, validate_request=False)
        problem(response, 400, field="body")


def test_other_currencies_and_minimums(epayment_api, epayment_emulator, problem):
    keys = epayment_emulator.add_sales_unit("4321", "NOK", name="Butikk")
    problem(epayment_api.create(epayment_api.payment_body(currency="NOK", value=99), keys=keys), 400, code="6010")
    assert epayment_api.create(epayment_api.payment_body(currency="NOK", value=100), keys=keys).status_code == 201


def test_web_redirect_returns_a_landing_page(epayment_api, epayment_emulator):
    body = epayment_api.payment_body(flow="WEB_REDIRECT", returnUrl="https://shop.example/return")
    answer = epayment_api.create(body).json()
    assert answer["redirectUrl"].startswith(epayment_emulator.base_url + "/phone/pay/")


def test_expires_at(epayment_api, epayment_emulator, problem):
    later = (epayment_emulator.clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    no_receipt = epayment_api.payment_body(flow="QR", expiresAt=later)
    problem(epayment_api.create(no_receipt), 400, code="4140")
    body = epayment_api.payment_body(flow="QR", value=6000, expiresAt=later, receipt=RECEIPT)
    assert epayment_api.create(body).status_code == 201
    epayment_emulator.clock.advance(3600)
    assert epayment_api.payment(body["reference"])["state"] == "CREATED"  # not the 10 minutes
    epayment_emulator.clock.advance(3600)
    assert epayment_api.payment(body["reference"])["state"] == "EXPIRED"
    soon = (epayment_emulator.clock.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    problem(epayment_api.create(epayment_api.payment_body(flow="QR", expiresAt=soon, receipt=RECEIPT,
                                                          value=6000)), 400, field="expiresAt")
