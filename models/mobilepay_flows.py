"""The in-store flows a MobilePay payment may take (ePayment API.md section 1), as stored in Odoo."""

from ..mobilepay.provider import PaymentFlow

FLOW_SELECTION = [
    (PaymentFlow.QR_ON_SCREEN.value, "One-time QR on screen"),
    (PaymentFlow.PHONE_NUMBER.value, "Phone number typed by the cashier"),
    (PaymentFlow.PERSONAL_QR.value, "Customer's personal QR, scanned by the cashier"),
    (PaymentFlow.STICKER.value, "QR sticker at the till (needs a public HTTPS URL)"),
]
# A check-in's customer token pays within this long after the scan, counted from its initiatedAt
# (API.md 11.3: valid 15 minutes; a minute is kept for the create call to arrive).
CHECKIN_TOKEN_LIFETIME_S = 14 * 60
# A scan no payment waited for is kept for the register's next sticker payment if that payment starts
# within this long after the scan; a later one asks the customer to scan again (it may be someone else).
PARKED_CHECKIN_MAX_AGE_S = 5 * 60
MAX_PERSONAL_QR = 255
