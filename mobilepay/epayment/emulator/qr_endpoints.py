"""QR API (API.md 11): merchant callback QRs, migrated v10 stickers, and the two exchange endpoints.

Merchant callback (``Merchant-Serial-Number`` required):

* ``PUT /qr/v1/merchant-callback/{merchantQrId}`` ``{"locationDescription": "Kasse 1", "category":
  "IN_STORE"}``: ``locationDescription`` required, at most 36 characters; ``category`` optional,
  ``IN_STORE`` (default) or ``VENDING`` (API.md 0 "May 2024", [SK]; not in the saved spec). 200 without a
  body. Again with the same id: only the description (and the category, when sent) change; the code
  and its image stay the same [S-QR].
* ``GET .../{merchantQrId}`` and ``GET /qr/v1/merchant-callback`` (query ``QrImageFormat=PNG|SVG``, default
  SVG, and ``QrImageSize=100..2000`` for PNG): ``MerchantCallbackQr`` with ``qrImageUrl`` (served by the
  emulator) and ``qrContent`` (the phone-page link of the sticker; a person "scans" it in a browser).
* ``DELETE .../{merchantQrId}``: 200; 404 for an unknown one.
* ``PUT /qr/v1/merchant-callback/mobilepay/{beaconId}`` ``{"locationDescription": "<PoS name>"}``: maps
  an already printed v10 sticker (``mobilepaypos://pos?id={beaconId}&source=qr``, a GUID or 15 digits)
  to the MSN; its check-ins report ``merchantQrId == beaconId`` (API.md 11.4). ``409`` when another MSN
  has registered that beacon [Unconfirmed, the meaning of 409 is not documented; API.md 15 point 4];
  the same MSN again updates the description.
* [Unconfirmed] (API.md 15 point 15) a ``merchantQrId`` is 1-128 characters of ``A-Za-z0-9._~-``.

Errors: ``QrErrorResponse`` with ``invalidParams`` (problems.py).

Exchange (``Merchant-Serial-Number`` optional): ``POST /qr/v1/exchange`` ``{"qrCode"}`` -> ``{"msisdn",
"version": "1.0"}`` for a demo customer's personal QR; ``POST /qr/v1/exchange/customer`` ``{"customer":
{"customerToken"}, "requestedData": ["MSISDN"]}`` -> ``{"msisdn", "timestamp"}`` for a valid customerToken
of this MSN.
"""

import re
import secrets

from werkzeug.routing import Rule

from ... import formats
from .problems import ApiError
from .records import CallbackQr
from .responses import empty_response, json_response
from .validation import is_list_of

BASE = "/qr/v1/merchant-callback"
MERCHANT_QR_ID_RE = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
CATEGORIES = ("IN_STORE", "VENDING")
MAX_LOCATION = 36


def _bad(name, reason, title="One or more validation errors occurred."):
    return ApiError(400, title, f"{name}: {reason}", fields=[(name, reason)])


def _not_found(merchant_qr_id):
    return ApiError(404, "Not Found", f"No merchant callback QR {merchant_qr_id} for this sales unit")


def _checked_id(merchant_qr_id):
    if not MERCHANT_QR_ID_RE.match(merchant_qr_id):
        raise _bad("merchantQrId", "Use 1 to 128 characters of A-Z, a-z, 0-9 and . _ ~ -")
    return merchant_qr_id


def _location(body):
    text = body.get("locationDescription")
    if not isinstance(text, str) or not text.strip():
        raise _bad("locationDescription", "The locationDescription field is required.")
    if len(text) > MAX_LOCATION:
        raise _bad("locationDescription", f"The field locationDescription must be a string with a maximum length of "
                                          f"{MAX_LOCATION}.")
    category = body.get("category")
    if category is not None and category not in CATEGORIES:
        raise _bad("category", f"The category must be one of {', '.join(CATEGORIES)}.")
    return text, category


def _store(state, msn, merchant_qr_id, text, category, now, beacon=False):
    existing = state.callback_qrs.get((msn, merchant_qr_id))
    if existing is not None:
        existing.location_description = text
        if category is not None:
            existing.category = category
        return existing
    key = secrets.token_urlsafe(12)
    qr_code = CallbackQr(msn=msn, merchant_qr_id=merchant_qr_id, location_description=text,
                         category=category or "IN_STORE", key=key, beacon=beacon, created_at=now)
    state.callback_qrs[(msn, merchant_qr_id)] = qr_code
    state.qr_keys[key] = (msn, merchant_qr_id)
    return qr_code


def put_callback(call, merchant_qr_id):
    unit = call.unit()
    merchant_qr_id = _checked_id(merchant_qr_id)
    text, category = _location(call.json_body())
    with call.state.transaction() as now:
        _store(call.state, unit.msn, merchant_qr_id, text, category, now)
    return empty_response(200)


def put_beacon(call, beacon_id):
    unit = call.unit()
    try:
        beacon_id = formats.check_beacon_id(beacon_id)
    except ValueError:
        raise _bad("beaconId", "A MobilePay PoS beaconId is a GUID or 15 digits.") from None
    text, category = _location(call.json_body())
    with call.state.transaction() as now:
        owner = call.state.beacons.get(beacon_id)
        if owner is not None and owner != unit.msn:
            raise ApiError(409, "Conflict", f"The beacon {beacon_id} is registered to another sales unit")
        call.state.beacons[beacon_id] = unit.msn
        _store(call.state, unit.msn, beacon_id, text, category, now, beacon=True)
    return empty_response(200)


def _image_query(call):
    fmt = call.request.args.get("QrImageFormat") or "SVG"
    if fmt not in ("PNG", "SVG"):
        raise _bad("QrImageFormat", "Supported values: PNG, SVG.")
    size = call.request.args.get("QrImageSize")
    if size is not None:
        if not size.isdigit() or not 100 <= int(size) <= 2000:
            raise _bad("QrImageSize", "The size must be between 100 and 2000.")
        size = int(size)
    return fmt.lower(), size


def _qr_json(call, qr_code, fmt, size):
    url = f"{call.base_url}/qr-image/merchant-callback/{qr_code.key}?format={fmt}"
    if fmt == "png":
        url += f"&size={size or 1024}"
    return {"merchantSerialNumber": qr_code.msn, "merchantQrId": qr_code.merchant_qr_id,
            "locationDescription": qr_code.location_description, "qrImageUrl": url,
            "qrContent": qr_code.qr_content(call.base_url), "category": qr_code.category}


def get_callback(call, merchant_qr_id):
    unit = call.unit()
    fmt, size = _image_query(call)
    with call.state.transaction():
        qr_code = call.state.callback_qrs.get((unit.msn, merchant_qr_id))
        if qr_code is None:
            raise _not_found(merchant_qr_id)
        return json_response(_qr_json(call, qr_code, fmt, size))


def list_callbacks(call):
    unit = call.unit()
    fmt, size = _image_query(call)
    with call.state.transaction():
        codes = [q for (msn, _), q in call.state.callback_qrs.items() if msn == unit.msn]
        return json_response([_qr_json(call, q, fmt, size) for q in codes])


def delete_callback(call, merchant_qr_id):
    unit = call.unit()
    with call.state.transaction():
        qr_code = call.state.callback_qrs.pop((unit.msn, merchant_qr_id), None)
        if qr_code is None:
            raise _not_found(merchant_qr_id)
        call.state.qr_keys.pop(qr_code.key, None)
        if qr_code.beacon:
            call.state.beacons.pop(qr_code.merchant_qr_id, None)
    return empty_response(200)


def _requested_data(body, required):
    wanted = body.get("requestedData")
    if wanted is None and not required:
        return
    if not wanted or not is_list_of(wanted, ("MSISDN",)):
        raise ApiError(400, "Bad request", "The request body contains one or more invalid parameters.",
                       fields=[("requestedData", "Only MSISDN is supported.")])


def exchange(call):
    call.unit(msn_required=False)
    body = call.json_body()
    text = body.get("qrCode")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad request", "The request body contains one or more invalid parameters.",
                       fields=[("qrCode", "The complete data contained in the QR code is required.")])
    _requested_data(body, required=False)
    with call.state.transaction():
        customer = call.state.customer_by_personal_qr(text)
    if customer is None:
        raise ApiError(400, "Bad request", "The QR code is not a valid personal QR code.",
                       fields=[("qrCode", "Unknown or expired QR code.")])
    return json_response({"msisdn": customer.phone_number, "version": "1.0"})


def exchange_customer(call):
    unit = call.unit(msn_required=False)
    body = call.json_body()
    customer = body.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("customerToken"), str):
        raise ApiError(400, "Bad request", "The request body contains one or more invalid parameters.",
                       fields=[("customer", "Customer object is required.")])
    _requested_data(body, required=True)
    with call.state.transaction() as now:
        checkin = call.state.checkins.get(customer["customerToken"])
        if checkin is None or checkin.msn != unit.msn or checkin.expires_at <= now:
            raise ApiError(400, "Bad request", "The customerToken is unknown or expired.",
                           fields=[("customer.customerToken", "Unknown or expired token.")])
        return json_response({"msisdn": checkin.customer, "timestamp": int(checkin.initiated_at.timestamp())})


def rules():
    return [
        Rule(BASE, methods=["GET"], endpoint=list_callbacks),
        Rule(BASE + "/mobilepay/<beacon_id>", methods=["PUT"], endpoint=put_beacon),
        Rule(BASE + "/<merchant_qr_id>", methods=["PUT"], endpoint=put_callback),
        Rule(BASE + "/<merchant_qr_id>", methods=["GET"], endpoint=get_callback),
        Rule(BASE + "/<merchant_qr_id>", methods=["DELETE"], endpoint=delete_callback),
        Rule("/qr/v1/exchange", methods=["POST"], endpoint=exchange),
        Rule("/qr/v1/exchange/customer", methods=["POST"], endpoint=exchange_customer),
    ]
