"""The MobilePay PoS v10 error-code catalogue (API.md section 5), the codes the client acts upon, and the
neutral reasons (``mobilepay.errors.Reason``) of those the Odoo layer acts upon."""

from ..errors import Reason

# code -> (HTTP status, meaning). The emulator answers with these; the client
# uses them to explain an error it got.
ERROR_CODES = {
    "1000": (409, "Point of sale not found"),
    "1001": (409, "Payment not found"),
    "1002": (409, "Store not found"),
    "1004": (404, "Refund not found"),
    "1099": (400, "Unknown bad request"),
    "1100": (400, "Invalid beaconId"),
    "1102": (400, "Invalid amount"),
    "1105": (400, "Invalid userMinimumAge"),
    "1109": (400, "Payment filter not specific enough"),
    "1110": (400, "Refund filter not specific enough"),
    "1111": (400, "Invalid merchantPosId"),
    "1112": (400, "Invalid point of sale name"),
    "1113": (400, "Invalid orderId"),
    "1114": (400, "Invalid refundOrderId"),
    "1116": (400, "Invalid callbackAlias"),
    "1117": (400, "Invalid merchantPaymentLabel"),
    "1118": (400, "Invalid calibrationType"),
    "1119": (400, "Invalid merchantBrandId"),
    "1120": (400, "Invalid merchantLocationId"),
    "1121": (400, "Point of sale filter not specific enough"),
    "1122": (400, "Store filter not specific enough"),
    "1151": (400, "Merchant VAT number header missing"),
    "1152": (400, "Client system name header missing"),
    "1153": (400, "Client system version header missing"),
    "1155": (400, "Merchant VAT number header duplicated"),
    "1156": (400, "Client system name header duplicated"),
    "1157": (400, "Client system version header duplicated"),
    "1159": (400, "Merchant VAT number header invalid"),
    "1160": (400, "Client system name header invalid"),
    "1161": (400, "Client system version header invalid"),
    "1162": (400, "Idempotency key invalid"),
    "1163": (400, "Idempotency key duplicated"),
    "1164": (400, "Idempotency key missing"),
    "1182": (400, "Invalid merchant_vat claim in access token"),
    "1200": (409, "A point of sale with this merchantPosId already exists"),
    "1202": (409, "A point of sale with this beaconId already exists"),
    "1204": (409, "The store of the point of sale is not activated"),
    "1300": (409, "The payment cannot be cancelled in its current state"),
    "1301": (409, "A payment is already active on the point of sale. Cancel it before starting a new one"),
    "1303": (409, "The payment must be Prepared or Paired to be readied"),
    "1304": (409, "The payment must be Reserved to be captured"),
    "1305": (409, "The capture amount exceeds the reserved amount"),
    "1306": (409, "The idempotency key was already used for a different request"),
    "1307": (409, "The payment was already captured with a different amount"),
    "1308": (409, "Partial capture is not possible for this payment"),
    "1351": (409, "The refund must be Reserved to be captured"),
    "1352": (409, "The refund cannot be cancelled in its current state"),
    "1354": (409, "The payment is not Captured, so it cannot be refunded"),
    "1365": (409, "The refund currency differs from the payment's"),
    "1366": (409, "The payment is too old to be refunded"),
    "1367": (409, "The refund amount exceeds what is left to refund on the payment"),
    "1368": (409, "The store's MobilePay balance cannot cover the refund"),
    "1400": (403, "The point of sale was created by another integrator"),
    "1401": (403, "The payment was created by another integrator"),
    "1402": (403, "The refund was created by another integrator"),
    "1403": (403, "The store does not belong to the merchant"),
    "1406": (403, "The payment was created on behalf of another merchant (ready)"),
    "1407": (403, "The payment was created on behalf of another merchant (capture)"),
    "1408": (403, "The payment was created on behalf of another merchant (cancel)"),
    "1409": (403, "The point of sale was created on behalf of another merchant (delete)"),
    "1410": (403, "The point of sale was created on behalf of another merchant (query)"),
    "1411": (403, "The payment was created on behalf of another merchant (query)"),
    "2000": (500, "Internal error"),
}

# [Unconfirmed] The user-simulation endpoints (sandbox) document only 200, 401 and 500: a
# simulated customer action that cannot be carried out is refused with HTTP 500 and one of
# these codes. Such an answer is a definite refusal, not a server failure (not retried).
SIMULATION_REFUSALS = {
    "2001": "No active point of sale has this beaconId",
    "2002": "Unknown test user (see the sandbox test users)",
    "2003": "There is no payment on this point of sale that the user can act on",
    "2004": "Check-in refused: the point of sale requires a payment before check-in",
    "2005": "The payment's restrictions do not allow this user's card type",
    "2006": "The payment was issued to another user",
    "2007": "Invalid user simulation request",
}

# Codes the client acts upon.
PAYMENT_ALREADY_ACTIVE = "1301"
IDEMPOTENCY_KEY_REUSED = "1306"
CANNOT_CANCEL = "1300"
NOT_RESERVED = "1304"
CAPTURED_WITH_OTHER_AMOUNT = "1307"
PARTIAL_CAPTURE_NOT_POSSIBLE = "1308"
REFUND_AMOUNT_TOO_HIGH = "1367"
PAYMENT_TOO_OLD_TO_REFUND = "1366"
POS_ALREADY_EXISTS = "1200"
BEACON_ALREADY_USED = "1202"

# The refusals the Odoo layer acts upon, in neutral words (set on the typed error as its ``reason``).
REASONS = {
    "1000": Reason.POS_NOT_FOUND,
    PAYMENT_ALREADY_ACTIVE: Reason.PAYMENT_ALREADY_ACTIVE,
    BEACON_ALREADY_USED: Reason.BEACON_IN_USE,
    "1354": Reason.NOT_CAPTURED,
    "1365": Reason.REFUND_CURRENCY_DIFFERS,
    PAYMENT_TOO_OLD_TO_REFUND: Reason.REFUND_TOO_OLD,
    REFUND_AMOUNT_TOO_HIGH: Reason.REFUND_TOO_HIGH,
    "1368": Reason.BALANCE_TOO_LOW,
}
