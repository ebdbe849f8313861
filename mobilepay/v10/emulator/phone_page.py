"""The customer's phone: a small self-contained web page where a person plays the customer.

GET /phone[?beaconId=...] serves ``static/phone.html``; the page polls
GET /emulator/phone/state?beaconId=... and calls the user-simulation endpoints
(without a token) for "Check in", "Approve" and "Reject".
"""

from pathlib import Path

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ..schemas import ACTIVE_PAYMENT_STATUSES, PaymentStatus
from .responses import json_response
from .views import checked_in_user

PAGE = Path(__file__).with_name("static") / "phone.html"

# What the customer reads for each payment status (the page shows these, the API name aside).
CUSTOMER_WORDS = {
    PaymentStatus.PREPARED: "The shop is getting your payment ready",
    PaymentStatus.PAIRED: "You are checked in: the shop is entering the amount",
    PaymentStatus.INITIATED: "The shop has asked for a payment: check in to see it",
    PaymentStatus.ISSUED_TO_USER: "Waiting for you to approve the payment",
    PaymentStatus.RESERVED: "Approved: the amount is reserved on your card",
    PaymentStatus.CAPTURED: "Paid",
    PaymentStatus.CANCELLED_BY_USER: "You rejected the payment: nothing was taken",
    PaymentStatus.CANCELLED_BY_CLIENT: "The shop cancelled the payment: nothing was taken",
    PaymentStatus.CANCELLED_BY_MOBILEPAY: "MobilePay cancelled the payment: nothing was taken",
    PaymentStatus.EXPIRED_AND_CANCELLED: "The reservation expired: nothing was taken",
}


def phone(call):
    response = Response(PAGE.read_bytes(), content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def index(call):
    """A person opening the base URL in a browser lands on the phone page."""
    return redirect("/phone")


def _payment_summary(payment):
    if payment is None:
        return None
    return {
        "paymentId": payment.payment_id,
        "orderId": payment.order_id,
        "amount": None if payment.amount is None else float(payment.amount),
        "currencyCode": payment.currency_code,
        "status": payment.status.value,
        "statusText": CUSTOMER_WORDS[payment.status],
        "active": payment.status in ACTIVE_PAYMENT_STATUSES,
        "issuedTo": payment.user.phone_number if payment.user else None,
        "restrictions": payment.restrictions,
        "partialCapturePossible": payment.partial_capture_possible if payment.reserved_at else None,
    }


def phone_state(call):
    """Every PoS a customer can check in on, the test users and, for ?beaconId=, that PoS's situation."""
    state = call.state
    beacon_id = (call.request.args.get("beaconId") or "").strip().lower()
    with state.transaction():
        stores = state.stores
        points = [
            {
                "posId": pos.pos_id,
                "name": pos.name,
                "beaconId": pos.beacon_id,
                "storeName": stores[pos.store_id].store_name if pos.store_id in stores else "",
                "brandName": stores[pos.store_id].brand_name if pos.store_id in stores else "",
                "merchantVat": pos.merchant_vat,
            }
            for pos in state.points_of_sale.values() if not pos.deleted
        ]
        users = [
            {"phoneNumber": u.phone_number, "label": u.label or u.phone_number, "card": u.card}
            for u in state.test_users.values()
        ]
        selected = None
        if beacon_id:
            pos = state.pos_by_beacon(beacon_id)
            if pos is None:
                selected = {
                    "beaconId": beacon_id,
                    "found": False,
                    "message": f"No point of sale has the beacon id {beacon_id}: choose one in the list, "
                    "or scan the QR code at the till again.",
                }
            else:
                user, _ = checked_in_user(state, pos)
                store = stores.get(pos.store_id)
                selected = {
                    "beaconId": pos.beacon_id,
                    "found": True,
                    "posName": pos.name,
                    "storeName": store.store_name if store else "",
                    "brandName": store.brand_name if store else "",
                    "requirePaymentBeforeCheckin": pos.require_payment_before_checkin,
                    "checkedIn": user.phone_number if user else None,
                    "payment": _payment_summary(state.active_payment(pos) or state.latest_payment(pos)),
                }
    return json_response({"pointOfSales": points, "testUsers": users, "selected": selected})


def rules():
    return [
        Rule("/", methods=["GET"], endpoint=index),
        Rule("/phone", methods=["GET"], endpoint=phone),
        Rule("/emulator/phone/state", methods=["GET"], endpoint=phone_state),
    ]
