"""QR images the emulator serves itself, without authentication (API.md 7.1.1, 11.2).

* ``GET /qr-image/v1?token=...``: the one-time QR of a ``userFlow: QR`` payment (the create answer's
  ``redirectUrl``), SVG or PNG of ``qrFormat.size`` pixels, encoding the payment's phone-page URL.
  It answers 404 once the payment is final (AUTHORIZED, ABORTED, EXPIRED, TERMINATED) [Unconfirmed
  for ePayment, documented for the old one-time QR; API.md 15 point 6], and for unknown tokens.
* ``GET /qr-image/merchant-callback/{key}?format=svg|png&size=N``: a merchant callback sticker
  (``qrImageUrl``), encoding its ``qrContent``; 404 once the QR is deleted.
"""

import io

import qrcode
from PIL import Image
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from ... import qr

DEFAULT_PNG_SIZE = 1024


def svg_bytes(payload: str) -> bytes:
    return qr.qr_svg(payload).encode("utf-8")


def png_bytes(payload: str, size: int = DEFAULT_PNG_SIZE) -> bytes:
    """A PNG of exactly ``size`` x ``size`` pixels, black on white."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    code.add_data(payload)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    image = image.resize((size, size), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_response(payload, fmt, size=None):
    if fmt == "png":
        response = Response(png_bytes(payload, size or DEFAULT_PNG_SIZE), content_type="image/png")
    else:
        response = Response(svg_bytes(payload), content_type="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found(what):
    return Response(f"{what}\n", status=404, content_type="text/plain; charset=utf-8")


def one_time(call):
    token = call.request.args.get("token", "")
    with call.state.transaction():
        where = call.state.payment_tokens.get(token)
        payment = call.state.payments.get(where) if where else None
        if payment is None or payment.user_flow != "QR":
            return _not_found("No such QR code")
        if payment.final:
            return _not_found("This QR code has expired: the payment is over")
        fmt = "png" if payment.qr_format == "IMAGE/PNG" else "svg"
        return image_response(payment.target_url, fmt, payment.qr_size)


def callback(call, key):
    fmt = (call.request.args.get("format") or "svg").lower()
    size = call.request.args.get("size", type=int)
    if fmt not in ("svg", "png") or (size is not None and not 100 <= size <= 2000):
        return Response("format must be svg or png, size 100 to 2000\n", status=400, content_type="text/plain")
    with call.state.transaction():
        where = call.state.qr_keys.get(key)
        qr_code = call.state.callback_qrs.get(where) if where else None
        if qr_code is None:
            return _not_found("No such QR code")
        content = qr_code.qr_content(call.base_url)
    return image_response(content, fmt, size)


def rules():
    return [
        Rule("/qr-image/v1", methods=["GET"], endpoint=one_time),
        Rule("/qr-image/merchant-callback/<key>", methods=["GET"], endpoint=callback),
    ]
