"""QR API v1, merchant callback QR (the till's sticker; ePayment API.md 11.2 and 11.4)."""

from typing import List
from urllib.parse import quote

from ..errors import MobilePayValidationError
from .http import VippsApi, model
from .schemas import MERCHANT_QR_ID_PATTERN, MerchantCallbackQr, MerchantCallbackQrRequest


def _qr_id(value, label="merchantQrId"):
    if not isinstance(value, str) or not MERCHANT_QR_ID_PATTERN.match(value):
        raise MobilePayValidationError(f"A {label} is 1 to 64 letters, digits or dashes.")
    return quote(value, safe="")


def _image_params(image_format, size):
    fmt = (image_format or "SVG").upper()
    if fmt not in ("SVG", "PNG"):
        raise MobilePayValidationError("The QR image format is SVG or PNG.")
    params = {"QrImageFormat": fmt}
    if size is not None:
        if fmt != "PNG" or not 100 <= int(size) <= 2000:
            raise MobilePayValidationError("A QR image size (100 to 2000) is for PNG only.")
        params["QrImageSize"] = int(size)
    return params


class QrClient(VippsApi):
    @property
    def _base(self):
        return f"{self.config.hosts.qr}/merchant-callback"

    def put_callback_qr(self, merchant_qr_id, location_description, category=None):
        """Create the sticker, or change its description (the code itself never changes)."""
        body = model(MerchantCallbackQrRequest, location_description=location_description,
                     category=category).to_json()
        self.call("PUT", f"{self._base}/{_qr_id(merchant_qr_id)}", body=body)

    def register_v10_beacon(self, beacon_id, location_description):
        """Keep a printed MobilePay PoS v10 sticker working: its check-ins report merchantQrId == beaconId."""
        body = model(MerchantCallbackQrRequest, location_description=location_description).to_json()
        self.call("PUT", f"{self._base}/mobilepay/{_qr_id(beacon_id, 'beacon id')}", body=body)

    def get_callback_qr(self, merchant_qr_id, image_format="SVG", size=None) -> MerchantCallbackQr:
        return self.call("GET", f"{self._base}/{_qr_id(merchant_qr_id)}", params=_image_params(image_format, size),
                         answer=MerchantCallbackQr)

    def list_callback_qrs(self, image_format="SVG", size=None) -> List[MerchantCallbackQr]:
        return self.call("GET", self._base, params=_image_params(image_format, size), answer=List[MerchantCallbackQr])

    def delete_callback_qr(self, merchant_qr_id):
        self.call("DELETE", f"{self._base}/{_qr_id(merchant_qr_id)}")
