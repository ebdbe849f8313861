"""The customer phone page, the HTTP test controls, the Python API and the command line."""

import io
import json
import re
import shutil
import subprocess
import threading
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import requests

from mobilepay.v10.emulator import ControlError, Emulator, EmulatorSettings


def _control(api, name, body=None):
    response = api.http.post(api.base + "/emulator/" + name, json=body or {})
    return response


# ------------------------------------------------------------------------------------------ phone page


def test_phone_page_is_self_contained(api):
    response = api.http.get(api.base + "/phone")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    for needed in ("Check in", "Approve", "Reject", "/emulator/phone/state", "/pos/app/usersimulation/checkin",
                   "/pos/app/usersimulation/acceptpayment", "/pos/app/usersimulation/cancelpaymentbyuser"):
        assert needed in html, needed
    # No external assets: no http(s) URL is loaded by the page.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    assert api.http.get(api.base + "/phone", params={"beaconId": "123456789012345"}).status_code == 200
    home = api.http.get(api.base + "/", allow_redirects=False)
    assert home.status_code == 302 and home.headers["Location"].endswith("/phone")


def test_phone_state_follows_the_payment(api, emulator):
    pos_id = api.create_pos(name="Kasse 3")
    beacon = api.beacon(pos_id)
    state = api.http.get(api.base + "/emulator/phone/state").json()
    assert {"posId": pos_id, "name": "Kasse 3", "beaconId": beacon, "storeName": "Emulator Store DK",
            "brandName": "Emulator Brand", "merchantVat": "DK90000028"} in state["pointOfSales"]
    assert {"+4520031801", "+358200318005"} <= {u["phoneNumber"] for u in state["testUsers"]}
    assert state["selected"] is None

    def selected():
        return api.http.get(api.base + "/emulator/phone/state", params={"beaconId": beacon.upper()}).json()["selected"]

    assert selected()["found"] is True and selected()["payment"] is None and selected()["checkedIn"] is None
    payment_id = api.initiate(pos_id, amount=42.5)
    assert selected()["payment"]["status"] == "Initiated"
    assert selected()["payment"]["amount"] == 42.5
    # What the page's buttons do: user-simulation calls without a token.
    api.checkin(beacon, "+4520031801")
    view = selected()
    assert view["checkedIn"] == "+4520031801"
    assert view["payment"]["status"] == "IssuedToUser" and view["payment"]["issuedTo"] == "+4520031801"
    api.accept(beacon, "+4520031801")
    assert selected()["payment"] == dict(selected()["payment"], paymentId=payment_id, status="Reserved")
    unknown = api.http.get(api.base + "/emulator/phone/state", params={"beaconId": "000000000000000"}).json()
    assert unknown["selected"]["found"] is False
    assert "No point of sale has the beacon id 000000000000000" in unknown["selected"]["message"]


def test_phone_state_speaks_the_customers_words(api):
    from mobilepay.v10.emulator.phone_page import CUSTOMER_WORDS
    from mobilepay.v10.schemas import PaymentStatus

    assert set(CUSTOMER_WORDS) == set(PaymentStatus), "every status has words for the customer"
    pos_id = api.create_pos()
    beacon = api.beacon(pos_id)
    api.initiate(pos_id)
    api.checkin(beacon, "+4520031801")
    state = api.http.get(api.base + "/emulator/phone/state", params={"beaconId": beacon}).json()
    payment = state["selected"]["payment"]
    assert (payment["status"], payment["statusText"]) == ("IssuedToUser", "Waiting for you to approve the payment")


# Runs the page's script in Node.js with a tiny fake DOM against the running emulator and clicks the buttons.
PAGE_HARNESS = r"""
// Runs the phone page's script against a running emulator with a tiny fake DOM.
const fs = require("fs");
const [,, htmlPath, base, beacon, phone] = process.argv;
const html = fs.readFileSync(htmlPath, "utf8");
const script = html.split("<script>")[1].split("</script>")[0];
const ids = [...html.matchAll(/id="([^"]+)"/g)].map(m => m[1]);
function element(id) {
  const el = { id, value: "", textContent: "", hidden: false, disabled: false, className: "", style: {},
    options: [], handlers: {},
    addEventListener(type, fn) { this.handlers[type] = fn; },
    appendChild(child) { this.options.push(child); if (!this.value) { this.value = child.value; } },
    remove(index) { this.options.splice(index, 1); },
  };
  return el;
}
const elements = Object.fromEntries(ids.map(id => [id, element(id)]));
global.document = { getElementById: id => elements[id], createElement: () => ({ value: "", textContent: "" }) };
let href = base + "/phone?beaconId=" + beacon;
global.window = {
  get location() { return { href }; },
  history: { replaceState(_a, _b, url) { href = url; } },
  requestAnimationFrame: fn => setTimeout(fn, 10),
};
const realFetch = fetch;
global.fetch = (url, options) => realFetch(base + url, options);
const origSetInterval = setInterval;
global.setInterval = (fn, ms) => origSetInterval(fn, 50);
eval(script);
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function until(check) {
  for (let i = 0; i < 100 && !check(); i++) { await sleep(20); }
}
(async () => {
  await until(() => elements.user.options.length && elements.posName.textContent);
  const users = elements.user.options.map(o => o.value);
  elements.user.value = phone;
  const out = { users, posOptions: elements.pos.options.map(o => o.value), posName: elements.posName.textContent };
  out.posNote = { hidden: elements.posNote.hidden, text: elements.posNote.textContent };
  if (process.argv[6] === "unknown") { console.log(JSON.stringify(out)); process.exit(0); }
  elements.checkin.handlers.click();
  await until(() => elements.status.title === "IssuedToUser" && elements.message.textContent !== "...");
  out.afterCheckin = { message: elements.message.textContent, checkedIn: elements.checkedIn.textContent,
                       status: elements.status.textContent, apiStatus: elements.status.title,
                       approveDisabled: elements.approve.disabled };
  elements.approve.handlers.click();
  await until(() => elements.status.title === "Reserved" && elements.message.textContent !== "...");
  out.afterApprove = { message: elements.message.textContent, status: elements.status.textContent,
                       amount: elements.amount.textContent };
  elements.reject.handlers.click();
  await until(() => elements.message.className === "error");
  out.afterReject = { message: elements.message.textContent, cls: elements.message.className };
  out.href = href;
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is needed to run the page's script")
def test_phone_page_script_checks_in_approves_and_rejects(api, emulator, tmp_path):
    import mobilepay.v10.emulator

    page = Path(mobilepay.v10.emulator.__file__).with_name("static") / "phone.html"
    harness = tmp_path / "harness.js"
    harness.write_text(PAGE_HARNESS, encoding="utf-8")
    pos_id = api.create_pos(name="Kasse 5")
    beacon = api.beacon(pos_id)
    payment_id = api.initiate(pos_id, amount=42.5)
    run = subprocess.run(["node", str(harness), str(page), api.base, beacon, "+4520031804"],
                         capture_output=True, text=True, timeout=20)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "+4520031804" in seen["users"] and seen["posOptions"] == [beacon]
    assert seen["posName"] == "Kasse 5"
    assert seen["posNote"]["hidden"] is True
    assert seen["afterCheckin"] == {"message": "Checked in.", "checkedIn": "Checked in: +4520031804",
                                    "status": "Waiting for you to approve the payment", "apiStatus": "IssuedToUser",
                                    "approveDisabled": False}
    assert seen["afterApprove"] == {"message": "Payment approved.",
                                    "status": "Approved: the amount is reserved on your card", "amount": "42.50 DKK"}
    assert seen["afterReject"]["cls"] == "error" and "(2003)" in seen["afterReject"]["message"]
    assert api.status(payment_id) == "Reserved"
    # A link with a beacon id that no PoS has: the page says so next to the list.
    run = subprocess.run(["node", str(harness), str(page), api.base, "000000000000000", "+4520031804", "unknown"],
                         capture_output=True, text=True, timeout=20)
    assert run.returncode == 0, run.stderr
    note = json.loads(run.stdout)["posNote"]
    assert note["hidden"] is False and "No point of sale has the beacon id 000000000000000" in note["text"]


# ------------------------------------------------------------------------------------------ HTTP controls


def test_http_controls(api, emulator):
    pos_id = api.create_pos()
    beacon = api.beacon(pos_id)
    payment_id = api.initiate(pos_id)
    assert _control(api, "cancel-by-mobilepay", {"paymentId": payment_id}).json() == {"ok": True}
    assert api.status(payment_id) == "CancelledByMobilePay"
    assert _control(api, "cancel-by-mobilepay", {"paymentId": payment_id}).status_code == 400
    assert _control(api, "cancel-by-mobilepay", {}).status_code == 400

    payment_id = api.initiate(pos_id, amount=20)
    api.checkin(beacon)
    api.accept(beacon)
    assert _control(api, "expire-reservation", {"paymentId": payment_id}).status_code == 200
    assert api.status(payment_id) == "ExpiredAndCancelled"

    assert _control(api, "settings", {"refund_reservation_delay_s": None}).status_code == 200
    assert _control(api, "settings", {"no_such_setting": 1}).status_code == 400
    refund_id = api.refund(api.captured_payment(amount=10), 5)
    assert _control(api, "cancel-refund-by-mobilepay", {"refundId": refund_id}).status_code == 200
    assert api.refund_status(refund_id) == "CancelledByMobilePay"
    refund_id = api.refund(api.captured_payment(amount=10), 5)
    assert _control(api, "reserve-refund", {"refundId": refund_id}).status_code == 200
    assert api.refund_status(refund_id) == "Reserved"

    answer = _control(api, "advance-clock", {"seconds": 3600}).json()
    assert answer["clockOffsetSeconds"] == 3600
    assert _control(api, "advance-clock", {"seconds": -1}).status_code == 400


def test_http_controls_for_setup(api, emulator, error):
    assert _control(api, "add-integrator", {"clientId": "odoo-2", "clientSecret": "pw"}).status_code == 200
    assert api.token("odoo-2", "pw")
    store = _control(api, "add-store", {"merchantVat": "DK12345678", "merchantBrandId": "POSDK12345",
                                        "merchantLocationId": "10001", "name": "Shop", "activated": True}).json()
    token = api.token(merchant_vat="DK12345678")
    assert api.get("/pos/v10/stores", token=token, vat=None).json() == {"storeIds": [store["storeId"]]}
    assert _control(api, "add-store", {"merchantVat": "DK1"}).status_code == 400
    assert _control(api, "set-store-balance", {"storeId": api.store_id, "balance": 0}).status_code == 200
    error(api.create_refund(api.captured_payment(amount=10), 5), 409, "1368", origin=True)
    assert _control(api, "add-test-user", {"phoneNumber": "+4512121212", "card": "Debit"}).status_code == 200
    pos_id = api.create_pos()
    api.initiate(pos_id)
    api.checkin(api.beacon(pos_id), "+4512121212")
    assert _control(api, "register-callback", {"alias": "a", "url": "http://127.0.0.1:9/x"}).status_code == 200
    assert emulator.notifier.url_for("a") == "http://127.0.0.1:9/x"


def test_http_fault_controls(api, emulator):
    answer = _control(api, "faults", {"method": "GET", "path": "/pos/v10/stores", "kind": "status", "status": 500,
                                      "times": 1}).json()
    assert answer["fault"]["kind"] == "status"
    assert api.get("/pos/v10/stores", check=False).status_code == 500
    assert api.get("/pos/v10/stores").status_code == 200
    _control(api, "faults", {"method": "GET", "path": "/pos/v10/stores", "times": None})
    assert _control(api, "faults/clear").status_code == 200
    assert api.get("/pos/v10/stores").status_code == 200
    assert _control(api, "faults", {"kind": "nope"}).status_code == 400


def test_http_inspection_and_reset(api, emulator):
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    state = api.http.get(api.base + "/emulator/state").json()
    assert [p["posId"] for p in state["pointOfSales"]] == [pos_id]
    assert state["payments"][0]["paymentId"] == payment_id
    assert [t["rule"] for t in state["payments"][0]["history"]] == ["P1"]
    demo = api.http.get(api.base + "/emulator/demo").json()
    assert demo["merchant_vat"] == "DK90000028" and demo["store_id"] == api.store_id
    log = api.http.get(api.base + "/emulator/requests").json()
    assert ["POST", "/pos/v10/payments", 200] in log
    assert api.http.get(api.base + "/emulator/notifications").json() == []
    assert _control(api, "reset").json() == {"ok": True}
    assert api.http.get(api.base + "/emulator/state").json()["payments"] == []
    assert api.get(f"/pos/v10/pointofsales/{pos_id}").status_code == 404
    assert _control(api, "reset", None).status_code == 200
    bad = api.http.post(api.base + "/emulator/advance-clock", data="not json")
    assert bad.status_code == 400 and "error" in bad.json()


# ------------------------------------------------------------------------------------------ Python API


def test_python_api_basics(emulator):
    demo = emulator.demo
    assert (demo.merchant_vat, demo.merchant_brand_id, demo.merchant_location_id) == ("DK90000028", "MPPOSCERT1",
                                                                                       "00001")
    assert demo.client_id and demo.client_secret and demo.store_id
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.phone_url == emulator.base_url + "/phone"
    store_id = emulator.add_store("FI12345678", "POSFI12345", "00001", name="Helsinki", activated=False, balance=10)
    assert store_id in emulator.state.stores
    with pytest.raises(ControlError):
        emulator.add_store("FI12345678", "POSFI12345", "00001")  # exists
    with pytest.raises(ControlError):
        emulator.cancel_by_mobilepay("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ControlError):
        emulator.expire_reservation("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ControlError):
        emulator.cancel_refund_by_mobilepay("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError):
        emulator.advance_clock(-5)


def test_reset_restores_settings_clock_and_counters(api, emulator):
    emulator.settings.payment_poll_delay_ms = 999
    emulator.advance_clock(100)
    payment_id = api.initiate(api.create_pos())
    api.payment(payment_id)
    api.payment(payment_id)
    assert emulator.early_polls == 1
    emulator.reset()
    assert emulator.settings.payment_poll_delay_ms == 50
    assert emulator.clock.offset_seconds == 0
    assert emulator.early_polls == 0
    assert emulator.requests_log == []
    assert emulator.state.payments == {}


def test_separate_emulators_and_context_manager():
    with Emulator(EmulatorSettings(demo_client_id="cid", demo_client_secret="sec")) as emu:
        session = requests.Session()
        session.trust_env = False
        response = session.post(emu.base_url + "/integrator-authentication/connect/token", auth=("cid", "sec"),
                                data={"grant_type": "client_credentials"})
        assert response.status_code == 200
        with pytest.raises(RuntimeError):
            emu.start()
    assert not emu.running
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    with pytest.raises(requests.ConnectionError):
        session.get(f"http://127.0.0.1:{response.url.split(':')[2].split('/')[0]}/emulator/stats", timeout=1)


def test_wsgi_app_can_be_used_without_a_server():
    from werkzeug.test import Client

    emu = Emulator()
    client = Client(emu.wsgi_app)
    response = client.get("/emulator/demo")
    assert response.status_code == 200
    assert response.get_json()["merchant_vat"] == "DK90000028"


# ------------------------------------------------------------------------------------------ command line


def test_command_line(monkeypatch):
    from mobilepay.v10.emulator.__main__ import build_parser, main

    args = build_parser().parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--callback", "missing-equals"])
    stop = threading.Event()
    output = io.StringIO()
    result = {}

    def run():
        with redirect_stdout(output):
            result["code"] = main(["--port", "0", "--callback", "odoo=http://127.0.0.1:8069/cb",
                                   "--payment-poll-delay-ms", "200"], stop_event=stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 3
    while "Press Ctrl-C" not in output.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    text = output.getvalue()
    base_url = re.search(r"base URL\s+(\S+)", text).group(1)
    assert base_url.startswith("http://127.0.0.1:")
    for needed in ("client id", "client secret", "DK90000028", "store id", base_url + "/phone",
                   "odoo -> http://127.0.0.1:8069/cb"):
        assert needed in text
    session = requests.Session()
    session.trust_env = False
    assert session.get(base_url + "/emulator/demo", timeout=2).status_code == 200
    stop.set()
    thread.join(timeout=3)
    assert result["code"] == 0
