"""The customer's phone: server-rendered HTML pages with plain forms (no script, no external assets).

* ``GET /phone?customer=<msisdn>``: choose a demo customer; see their personal QR (to show to a
  till's scanner), the payment requests pushed to them (approve or reject), open a one-time QR
  link, and scan a merchant callback sticker (check in).
* ``GET /phone/pay/{token}``: what the one-time QR of a payment encodes (the TEXT/TARGETURL value and
  the landing page): merchant, amount, description, receipt lines; ``POST`` approves or rejects. A
  special test amount (special_amounts.py) that fails shows "Payment failed: <reason>" and the payment
  stays waiting; 201 shows its approval received with an unknown result, and no buttons any more.
* ``GET /phone/scan/{key}``: what a callback sticker encodes (``qrContent``); ``POST`` checks in,
  which sends ``user.checked-in.v1``; the payment that follows appears on the same page.
* ``GET /phone/open?url=...``: opens a pasted one-time QR link (the page or the image link).

Every text that comes from a request or a client (descriptions, receipt lines, messages) is
HTML-escaped. Actions answer ``303`` back to the page with the outcome in ``msg``.
"""

from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ... import qr
from . import checkins, payments
from .problems import ControlError

STATE_WORDS = {
    "CREATED": "Waiting for you to approve",
    "AUTHORIZED": "Approved: the amount is reserved",
    "ABORTED": "You rejected the payment: nothing was taken",
    "EXPIRED": "The payment request expired: nothing was taken",
    "TERMINATED": "The shop cancelled the payment: nothing was taken",
}
# Approved with the special test amount 201 (special_amounts.py).
UNKNOWN_RESULT_WORDS = "You approved: the result is unknown for an hour (test amount 201)"

STYLE = """
body{font-family:system-ui,sans-serif;max-width:30rem;margin:1rem auto;padding:0 1rem;background:#f4f4f8;color:#222}
h1{font-size:1.3rem;color:#5a36c9}h2{font-size:1.05rem;margin-top:1.5rem}
.card{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin:.6rem 0;box-shadow:0 1px 3px #0002}
.msg{background:#fff6d5;border-left:4px solid #e0b000;padding:.5rem .8rem}
.amount{font-size:1.6rem;font-weight:600}button{padding:.4rem .9rem;margin:.2rem .2rem 0 0}
.approve{background:#2d8a4e;color:#fff;border:0;border-radius:.3rem}
.reject{background:#fff;border:1px solid #a33;color:#a33;border-radius:.3rem}
table{width:100%;border-collapse:collapse}td{padding:.2rem 0}td.r{text-align:right}small{color:#666}
img.qr{width:12rem;height:12rem;display:block;margin:.5rem auto}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _money(value, currency):
    return f"{value // 100},{value % 100:02d} {currency}"


def _page(title, body, status=200) -> Response:
    html = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}"
            f"<p><small><a href='/phone'>Home</a> &middot; Vipps MobilePay ePayment emulator</small></p>"
            f"</body></html>")
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _link(path, **query):
    query = {k: v for k, v in query.items() if v}
    return path + ("?" + urlencode(query) if query else "")


def _message(call):
    msg = call.request.args.get("msg")
    return f"<p class='msg'>{_e(msg)}</p>" if msg else ""


def _customer(call, state):
    number = call.request.values.get("customer") or ""
    return state.customers.get(number)


def _customer_select(state, selected, name="customer"):
    options = "".join(
        f"<option value='{_e(c.phone_number)}'{' selected' if selected and c.phone_number == selected else ''}>"
        f"{_e(c.name)} ({_e(c.phone_number)}, {_e(c.age)})</option>"
        for c in state.customers.values())
    return f"<select name='{_e(name)}'>{options}</select>"


def _merchant(state, msn):
    unit = state.sales_units.get(msn)
    return unit.name if unit else f"Sales unit {msn}"


def _payment_card(state, payment, customer_number, with_actions=True):
    parts = [f"<div class='card'><div><b>{_e(_merchant(state, payment.msn))}</b></div>",
             f"<div class='amount'>{_e(_money(payment.amount, payment.currency))}</div>"]
    if payment.description:
        parts.append(f"<div>{_e(payment.description)}</div>")
    words = UNKNOWN_RESULT_WORDS if payment.unknown_result_until is not None and payment.state == "CREATED" \
        else STATE_WORDS[payment.state]
    parts.append(f"<div><small>{_e(payment.reference)} &middot; {_e(words)} "
                 f"({_e(payment.state)})</small></div>")
    if payment.minimum_user_age:
        parts.append(f"<div><small>Age limit: {_e(payment.minimum_user_age)}+</small></div>")
    if payment.receipt:
        rows = []
        for line in payment.receipt.get("orderLines", []):
            quantity = (line.get("unitInfo") or {}).get("quantity", "1")
            unit = (line.get("unitInfo") or {}).get("quantityUnit") or "PCS"
            total = line.get("totalAmount", 0)
            sign = "-" if line.get("isReturn") else ""
            rows.append(f"<tr><td>{_e(quantity)} {_e(unit)}</td><td>{_e(line.get('name'))}</td>"
                        f"<td class='r'>{sign}{_e(_money(int(total), payment.currency))}</td></tr>")
        tip = (payment.receipt.get("bottomLine") or {}).get("tipAmount")
        if tip:
            rows.append(f"<tr><td></td><td>Tip</td><td class='r'>{_e(_money(int(tip), payment.currency))}</td></tr>")
        parts.append(f"<table>{''.join(rows)}</table>")
    if with_actions and payment.state == "CREATED" and payment.unknown_result_until is None:
        who = (f"<input type='hidden' name='customer' value='{_e(payment.customer)}'>" if payment.customer
               else f"Pay as {_customer_select(state, customer_number)}<br>")
        parts.append(f"<form method='post' action='/phone/pay/{_e(payment.token)}'>{who}"
                     f"<button class='approve' name='action' value='approve'>Approve</button>"
                     f"<button class='reject' name='action' value='reject'>Reject</button></form>")
    parts.append("</div>")
    return "".join(parts)


def home(call):
    state = call.state
    with state.transaction():
        customer = _customer(call, state)
        number = customer.phone_number if customer else None
        body = [_message(call),
                "<form method='get' action='/phone' class='card'>I am "
                f"{_customer_select(state, number)} <button>Use</button></form>"]
        if customer is not None:
            body.append(f"<h2>My QR code</h2><div class='card'><img class='qr' alt='personal QR' "
                        f"src='{_e(qr.svg_data_uri(customer.personal_qr))}'><small>{_e(customer.personal_qr)}"
                        f"</small></div>")
            body.extend(_payment_requests(state, number, "No payment is waiting for you."))
        body.append("<h2>Open a QR code</h2><form method='get' action='/phone/open' class='card'>"
                    "<input name='url' size='34' placeholder='the link of a payment QR'>"
                    f"<input type='hidden' name='customer' value='{_e(number)}'> <button>Open</button></form>")
        body.append("<h2>Scan a sticker</h2>")
        stickers = list(state.callback_qrs.values())
        for sticker in stickers:
            body.append(f"<form method='post' action='/phone/scan/{_e(sticker.key)}' class='card'>"
                        f"<b>{_e(_merchant(state, sticker.msn))}</b>: {_e(sticker.location_description)} "
                        f"<small>({_e(sticker.merchant_qr_id)}, {_e(sticker.category)})</small><br>"
                        f"<input type='hidden' name='customer' value='{_e(number)}'>"
                        f"<button>Scan</button></form>")
        if not stickers:
            body.append("<p><small>No merchant callback QR exists yet.</small></p>")
    return _page("Vipps MobilePay (emulated app)", "".join(body))


def index(call):
    return redirect("/phone")


def open_link(call):
    """A pasted link: the phone page of a payment, or its image link (``/qr-image/v1?token=``)."""
    url = call.request.args.get("url", "").strip()
    parts = urlsplit(url)
    token = None
    if parts.path.startswith("/phone/pay/"):
        token = parts.path.rsplit("/", 1)[-1]
    elif parts.path.endswith("/qr-image/v1"):
        token = (parse_qs(parts.query).get("token") or [None])[0]
    customer = call.request.args.get("customer")
    if not token:
        return redirect(_link("/phone", customer=customer, msg="That is not the link of a payment QR code."), 303)
    return redirect(_link(f"/phone/pay/{token}", customer=customer), 303)


def _payment_requests(state, number, nothing_waiting, msn=None):
    """The "Payment requests" section: the CREATED payments sent to ``number`` (of ``msn``, when given)."""
    waiting = [p for p in state.payments.values()
               if p.state == "CREATED" and p.customer == number and (msn is None or p.msn == msn)]
    parts = ["<h2>Payment requests</h2>"]
    parts.extend(_payment_card(state, p, number) for p in waiting)
    if not waiting:
        parts.append(f"<p><small>{nothing_waiting}</small></p>")
    return parts


def _looked_up(index, records, key):
    """``records[index[key]]``; None when either has no such entry."""
    where = index.get(key)
    return records.get(where) if where else None


def _payment_for(state, token):
    return _looked_up(state.payment_tokens, state.payments, token)


def _unknown_qr(text):
    return _page("Unknown QR code", f"<p class='msg'>{text}</p>", status=404)


def pay_page(call, token):
    state = call.state
    with state.transaction():
        payment = _payment_for(state, token)
        if payment is None:
            return _unknown_qr("This QR code is not recognised.")
        customer = _customer(call, state)
        body = _message(call) + _payment_card(state, payment, customer.phone_number if customer else None)
    return _page("Payment", body)


def pay_action(call, token):
    state = call.state
    action = call.request.form.get("action")
    number = call.request.form.get("customer") or None
    with state.transaction() as now:
        payment = _payment_for(state, token)
        if payment is None:
            return _unknown_qr("This QR code is not recognised.")
        try:
            if action == "approve":
                payments.approve(state, payment, number, now)
                msg = ("Approved. The shop can now capture the payment." if payment.state == "AUTHORIZED" else
                       f"Approval received, but its result is unknown (test amount {payment.amount}): the payment "
                       "waits for an hour, then it is aborted.")
            elif action == "reject":
                payments.reject(state, payment, now)
                msg = "You rejected the payment."
            else:
                msg = "Choose approve or reject."
        except payments.PaymentFailed as failure:
            msg = f"Payment failed: {failure.reason}. Nothing was taken: try again, or reject it."
        except payments.Refusal as refusal:
            msg = f"Not possible: {refusal}"
    return redirect(_link(f"/phone/pay/{token}", customer=number, msg=msg), 303)


def _sticker(state, key):
    return _looked_up(state.qr_keys, state.callback_qrs, key)


def scan_page(call, key):
    state = call.state
    with state.transaction():
        sticker = _sticker(state, key)
        if sticker is None:
            return _unknown_qr("QR code not recognised.")
        customer = _customer(call, state)
        number = customer.phone_number if customer else None
        body = [_message(call),
                f"<div class='card'><b>{_e(_merchant(state, sticker.msn))}</b><br>"
                f"{_e(sticker.location_description)}</div>",
                f"<form method='post' action='/phone/scan/{_e(key)}' class='card'>Check in as "
                f"{_customer_select(state, number)} <button class='approve'>Check in</button></form>"]
        if customer is not None:
            body.extend(_payment_requests(state, number, "Waiting for the shop to send the payment request...",
                                          msn=sticker.msn))
    return _page("Check in", "".join(body))


def scan_action(call, key):
    state = call.state
    number = call.request.form.get("customer") or None
    with state.transaction() as now:
        sticker = _sticker(state, key)
        if sticker is None:
            return _unknown_qr("QR code not recognised.")
        try:
            checkin = checkins.scan(state, sticker, number, now)
            number = checkin.customer
            msg = f"Checked in at {sticker.location_description}: waiting for the shop."
        except ControlError as error:
            msg = str(error)
    return redirect(_link(f"/phone/scan/{key}", customer=number, msg=msg), 303)


def rules():
    return [
        Rule("/", methods=["GET"], endpoint=index),
        Rule("/phone", methods=["GET"], endpoint=home),
        Rule("/phone/open", methods=["GET"], endpoint=open_link),
        Rule("/phone/pay/<token>", methods=["GET"], endpoint=pay_page),
        Rule("/phone/pay/<token>", methods=["POST"], endpoint=pay_action),
        Rule("/phone/scan/<key>", methods=["GET"], endpoint=scan_page),
        Rule("/phone/scan/<key>", methods=["POST"], endpoint=scan_action),
    ]
