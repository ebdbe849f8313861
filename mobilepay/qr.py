"""The check-in QR code (API.md section 9.3): payload, SVG and PNG."""

import base64
import functools
import io

import qrcode
import qrcode.image.svg

from . import formats


def checkin_payload(beacon_id):
    """``mobilepaypos://pos?id=<beaconId>&source=qr``, all lowercase, from the beaconId (never the posId)."""
    beacon_id = formats.check_beacon_id(str(beacon_id).strip())
    return f"mobilepaypos://pos?id={beacon_id}&source=qr".lower()


def _qr(payload, border):
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(payload)
    code.make(fit=True)
    return code


def qr_svg(payload, border=4):
    """The QR code as a standalone, scalable SVG document (text)."""
    image = _qr(payload, border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(payload, box_size=10, border=4):
    """The QR code as PNG bytes (black on white)."""
    code = _qr(payload, border)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=256)
def svg_data_uri(payload):
    """A ``data:`` URI of the SVG, ready for an ``<img src>`` (a PoS's QR is the same for every
    payment: made once per process)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(payload).encode()).decode()
