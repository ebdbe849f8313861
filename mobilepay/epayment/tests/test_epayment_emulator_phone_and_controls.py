"""ePayment emulator: the customer's phone page, the HTTP test controls, the command line."""

import re
import threading
import time

import requests

from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings
from mobilepay.epayment.emulator.__main__ import main


def _page(epayment_api, path, **params):
    return epayment_api.fetch(path, params=params or None)


def _post_form(epayment_api, path, data):
    return epayment_api.fetch(path, "POST", data=data, allow_redirects=False)


# ---------------------------------------------------------------------------------------------- phone page


def test_phone_page_lists_customers_and_their_push_payments(epayment_api, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"phoneNumber": phone}, value=4950)
    home = _page(epayment_api, "/phone")
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert all(number in home.text for number in epayment_emulator.demo.phone_numbers)
    mine = _page(epayment_api, "/phone", customer=phone)
    for page in (home, mine):  # plain forms, no script, no external assets
        assert "<script" not in page.text and "<link" not in page.text
        assert all(url.startswith(("/", "data:")) for url in re.findall(r"(?:src|href|action)='([^']*)'", page.text))
    assert "49,50 DKK" in mine.text and reference in mine.text
    assert "data:image/svg+xml;base64," in mine.text  # the personal QR, to show to a scanner
    other = _page(epayment_api, "/phone", customer=epayment_emulator.demo.phone_numbers[1])
    assert reference not in other.text


def test_approve_with_the_form(epayment_api, epayment_emulator):
    phone = epayment_emulator.demo.phone_numbers[0]
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"phoneNumber": phone})
    token = epayment_emulator.payment(reference)["token"]
    answer = _post_form(epayment_api, f"/phone/pay/{token}", {"action": "approve", "customer": phone})
    assert answer.status_code == 303
    assert epayment_api.payment(reference)["state"] == "AUTHORIZED"
    followed = _page(epayment_api, answer.headers["Location"])
    assert "Approved" in followed.text


def test_one_time_qr_page_shows_the_payment_and_rejects(epayment_api, epayment_emulator):
    body = epayment_api.payment_body(flow="QR", qrFormat={"format": "TEXT/TARGETURL"}, value=6000,
                                     paymentDescription="Butik Nord, kvittering 0042",
                                     receipt={"orderLines": [{"name": "Kaffe", "id": "p1", "totalAmount": 6000,
                                                              "totalAmountExcludingTax": 4800,
                                                              "totalTaxAmount": 1200, "taxPercentage": 25,
                                                              "unitInfo": {"unitPrice": 3000, "quantity": "2"}}],
                                              "bottomLine": {"currency": "DKK"}})
    url = epayment_api.create(body).json()["redirectUrl"]
    page = epayment_api.fetch(url)
    for text in ("Emulator Butik", "60,00 DKK", "Butik Nord, kvittering 0042", "Kaffe", "Approve", "Reject"):
        assert text in page.text, text
    token = url.rsplit("/", 1)[1]
    assert _post_form(epayment_api, f"/phone/pay/{token}", {"action": "reject"}).status_code == 303
    assert epayment_api.payment(body["reference"])["state"] == "ABORTED"
    assert "Approve" not in epayment_api.fetch(url).text


def test_qr_payment_approved_on_the_page_by_the_chosen_customer(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(flow="QR")
    token = epayment_emulator.payment(reference)["token"]
    phone = epayment_emulator.demo.phone_numbers[3]
    _post_form(epayment_api, f"/phone/pay/{token}", {"action": "approve", "customer": phone})
    assert epayment_emulator.payment(reference)["customer"] == phone


def test_a_refused_approval_is_shown(epayment_api, epayment_emulator):
    minor = next(c for c in epayment_emulator.demo.customers if c.age < 18)
    reference = epayment_api.create_payment(flow="QR", minimumUserAge=18)
    token = epayment_emulator.payment(reference)["token"]
    answer = _post_form(epayment_api, f"/phone/pay/{token}", {"action": "approve", "customer": minor.phone_number})
    assert "Not possible" in _page(epayment_api, answer.headers["Location"]).text
    assert epayment_api.payment(reference)["state"] == "CREATED"


def test_echoed_text_is_escaped(epayment_api, epayment_emulator):
    evil = "<script>alert(1)</script>"
    body = epayment_api.payment_body(flow="QR", paymentDescription=evil, value=1000,
                                     receipt={"orderLines": [{"name": "<img src=x onerror=alert(2)>", "id": "p1",
                                                              "totalAmount": 1000, "totalAmountExcludingTax": 800,
                                                              "totalTaxAmount": 200, "taxPercentage": 25}],
                                              "bottomLine": {"currency": "DKK"}})
    epayment_api.create(body)
    token = epayment_emulator.payment(body["reference"])["token"]
    page = _page(epayment_api, f"/phone/pay/{token}", msg="<b>hi</b>")
    assert evil not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text and "&lt;b&gt;hi&lt;/b&gt;" in page.text
    epayment_api.put_callback_qr("till-1", "<i>Kasse</i>")
    assert "<i>Kasse</i>" not in _page(epayment_api, "/phone").text


def test_open_a_pasted_link(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment(flow="QR")
    held = epayment_emulator.payment(reference)
    answer = epayment_api.fetch("/phone/open", params={"url": held["redirectUrl"]}, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/phone/pay/{held['token']}")
    assert _page(epayment_api, "/phone/pay/unknown-token").status_code == 404


def test_scan_a_sticker_on_the_phone_page(epayment_api, epayment_emulator, webhook_receiver):
    epayment_api.put_callback_qr("till-1", "Kasse 1")
    key = epayment_api.get("/qr/v1/merchant-callback/till-1").json()["qrContent"].rsplit("/", 1)[1]
    phone = epayment_emulator.demo.phone_numbers[0]
    assert "Kasse 1" in _page(epayment_api, "/phone").text
    failed = _post_form(epayment_api, f"/phone/scan/{key}", {"customer": phone})
    assert "connect to store" in _page(epayment_api, failed.headers["Location"]).text  # no webhook yet
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1"])
    answer = _post_form(epayment_api, f"/phone/scan/{key}", {"customer": phone})
    assert "Checked in" in _page(epayment_api, answer.headers["Location"]).text
    receiver.wait_for(1)
    token = receiver.bodies()[0]["customerToken"]
    reference = epayment_api.create_payment(flow="PUSH_MESSAGE", customer={"customerToken": token})
    assert reference in _page(epayment_api, f"/phone/scan/{key}", customer=phone).text  # the payment follows


# ---------------------------------------------------------------------------------------------- HTTP controls


def test_payment_controls_over_http(epayment_api, epayment_emulator):
    reference = epayment_api.create_payment()
    phone = epayment_emulator.demo.phone_numbers[1]
    approved = epayment_api.control("POST", f"/emulator/payments/{reference}/approve", {"phoneNumber": phone})
    assert approved.status_code == 200 and approved.json()["state"] == "AUTHORIZED"
    assert epayment_api.control("GET", f"/emulator/payments/{reference}").json()["customer"] == phone
    refused = epayment_api.control("POST", f"/emulator/payments/{reference}/reject")
    assert refused.status_code == 400 and "AUTHORIZED" in refused.json()["error"]
    other = epayment_api.create_payment()
    assert epayment_api.control("POST", f"/emulator/payments/{other}/expire").json()["state"] == "EXPIRED"
    third = epayment_api.create_payment()
    assert epayment_api.control("POST", f"/emulator/payments/{third}/reject").json()["state"] == "ABORTED"
    assert epayment_api.control("GET", "/emulator/payments/ref-unknown-1").status_code == 400


def test_clock_scan_deliveries_and_settings_over_http(epayment_api, epayment_emulator, webhook_receiver):
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["user.checked-in.v1", "epayments.payment.expired.v1"])
    epayment_api.put_callback_qr("till-1")
    scanned = epayment_api.control("POST", "/emulator/merchant-callback/till-1/scan", {})
    assert scanned.status_code == 200 and scanned.json()["customerToken"]
    reference = epayment_api.create_payment()
    advanced = epayment_api.control("POST", "/emulator/clock/advance", {"seconds": 600})
    assert advanced.json()["clockOffsetSeconds"] == 600
    assert epayment_api.payment(reference)["state"] == "EXPIRED"
    epayment_emulator.wait_for_deliveries(2)
    listed = epayment_api.control("GET", "/emulator/deliveries").json()
    assert sorted(d["event"] for d in listed) == ["epayments.payment.expired.v1", "user.checked-in.v1"]
    assert epayment_api.control("POST", "/emulator/clock/advance", {"seconds": -1}).status_code == 400
    assert epayment_api.control("POST", "/emulator/settings", {"payment_expiry_s": 60}).status_code == 200
    assert epayment_emulator.settings.payment_expiry_s == 60
    assert epayment_api.control("POST", "/emulator/settings", {"nonsense": 1}).status_code == 400
    assert epayment_api.control("POST", "/emulator/settings", {"webhook_max_attempts": 1.5}).status_code == 400


def test_reset_demo_state_and_sales_units_over_http(epayment_api, epayment_emulator):
    demo = epayment_api.control("GET", "/emulator/demo").json()
    assert demo["msn"] == epayment_emulator.demo.msn and demo["clientSecret"] == epayment_emulator.demo.client_secret
    assert demo["personalQrs"] == epayment_emulator.demo.personal_qrs
    unit = epayment_api.control("POST", "/emulator/sales-units", {"msn": "4321", "currency": "NOK"}).json()
    assert unit["msn"] == "4321" and unit["currency"] == "NOK"
    customer = epayment_api.control("POST", "/emulator/customers", {"phoneNumber": "4798765432", "age": 20}).json()
    assert customer["personalQr"].startswith("https://qr.vipps.no/p/")
    epayment_api.create_payment()
    state = epayment_api.control("GET", "/emulator/state").json()
    assert len(state["payments"]) == 1 and {u["msn"] for u in state["salesUnits"]} == {"123456", "4321"}
    assert epayment_api.control("GET", "/emulator/requests").json()[-1][0] == "POST"
    epayment_emulator.settings.payment_expiry_s = 5
    assert epayment_api.control("POST", "/emulator/reset").json() == {"ok": True}
    after = epayment_api.control("GET", "/emulator/state").json()
    assert after["payments"] == [] and [u["msn"] for u in after["salesUnits"]] == ["123456"]
    assert epayment_emulator.settings.payment_expiry_s == 600 and epayment_emulator.requests_log == []
    assert epayment_api.control("GET", "/emulator/demo").json() == demo  # same demo credentials
    assert epayment_api.control("POST", "/emulator/sales-units", {}).status_code == 400


def test_reset_forgets_everything(epayment_api, epayment_emulator, webhook_receiver):
    epayment_api.register_webhook(webhook_receiver().url, ["user.checked-in.v1"])
    epayment_api.put_callback_qr("till-1")
    epayment_emulator.scan_callback_qr("till-1")
    epayment_api.create_payment()
    epayment_emulator.faults.add(kind="status")
    epayment_emulator.clock.advance(30)
    epayment_emulator.wait_for_deliveries(1)
    epayment_emulator.reset()
    s = epayment_emulator.state
    assert (s.payments, s.registrations, s.callback_qrs, s.checkins) == ({}, {}, {}, {})
    assert len(epayment_emulator.faults) == 0 and epayment_emulator.deliveries == []
    assert epayment_emulator.clock.offset_seconds == 0
    assert epayment_api.payment_body() and epayment_api.create().status_code == 201  # old token still valid


# ---------------------------------------------------------------------------------------------- lifecycle, CLI


def test_context_manager_and_public_url(epayment_contract):
    settings = EPaymentEmulatorSettings.for_tests(public_base_url="http://pos.example:8766")
    with EPaymentEmulator(settings) as emu:
        assert emu.running and emu.phone_url == "http://pos.example:8766/phone"
        http = requests.Session()
        http.trust_env = False
        answer = http.post(emu.base_url + "/accesstoken/get", timeout=5, headers={
            "client_id": emu.demo.client_id, "client_secret": emu.demo.client_secret,
            "Ocp-Apim-Subscription-Key": emu.demo.subscription_key})
        epayment_contract.check(answer)
        created = http.post(emu.base_url + "/epayment/v1/payments", timeout=5, json={
            "amount": {"currency": "DKK", "value": 100}, "paymentMethod": {"type": "WALLET"},
            "reference": "ref-public-1", "userFlow": "QR"}, headers={
            "Authorization": "Bearer " + answer.json()["access_token"],
            "Ocp-Apim-Subscription-Key": emu.demo.subscription_key, "Merchant-Serial-Number": emu.demo.msn,
            "Idempotency-Key": "k1"})
        epayment_contract.check(created)
        assert created.json()["redirectUrl"].startswith("http://pos.example:8766/qr-image/v1?token=")
        http.close()
    assert not emu.running


def test_command_line_prints_what_a_client_needs(capsys):
    stop = threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("rc", main(["--port", "0"], stop_event=stop)))
    thread.start()
    deadline = time.monotonic() + 5
    out = ""
    while "Press Ctrl-C" not in out and time.monotonic() < deadline:
        time.sleep(0.02)
        out += capsys.readouterr().out
    stop.set()
    thread.join(timeout=5)
    assert result["rc"] == 0
    for text in ("client_id", "client_secret", "subscription key", "MSN", "123456", "/phone", "/accesstoken/get",
                 "4512345678"):
        assert text in out, text


def test_command_line_refuses_a_bad_msn(capsys):
    assert main(["--port", "0", "--msn", "12"]) == 1
    assert "msn" in capsys.readouterr().err
