"""What the fault run needs to know of each backend's emulator: how to start it, where its faults go and
which kinds, how the emulated customer acts, and how its ledger is read (``money_ledger``)."""

from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings
from mobilepay.epayment.emulator.problems import ControlError as EPaymentControlError
from mobilepay.v10.emulator import Emulator, EmulatorSettings
from mobilepay.v10.emulator.api_errors import ControlError as V10ControlError

V10_PHONE = "+4520031801"


class V10Backend:
    name = "v10"
    url_parameter = "pos_mobilepay.emulator_url"
    method_values = {"mobilepay_api": "v10", "mobilepay_environment": "demo"}
    create_paths = [("POST", "/pos/v10/payments"), ("POST", "/pos/v10/refunds")]
    fault_paths = [
        ("POST", "/pos/v10/payments"),
        ("GET", "/pos/v10/payments/*"),
        ("POST", "/pos/v10/payments/*/capture"),
        ("POST", "/pos/v10/payments/*/cancel"),
        ("GET", "/pos/v10/payments"),
        ("POST", "/pos/v10/refunds"),
        ("GET", "/pos/v10/refunds/*"),
        ("POST", "/pos/v10/refunds/*/capture"),
        ("GET", "/pos/v10/refunds"),
        ("POST", "/integrator-authentication/connect/token"),
    ]
    fault_kinds = ["status", "drop_before", "drop_after", "timeout", "body"]
    # Answers slower than the client waits (2 s for POST, 0.5 s for GET).
    timeout_ms = {"POST": 2300, "GET": 700}
    not_there_yet = V10ControlError
    webhooks = False

    def __init__(self, poll_delay_ms, seed=1):
        settings = EmulatorSettings(payment_poll_delay_ms=poll_delay_ms, refund_poll_delay_ms=100,
                                    refund_reservation_delay_s=0.3)
        self.emulator = Emulator(settings)

    def customer_acts(self, kind, answer, beacon_id, phone=None):
        """Approve or reject the payment of a start ``answer`` (raises ``not_there_yet`` while it is on its way)."""
        self.emulator.user_checkin(beacon_id, V10_PHONE)
        if kind == "reject":
            self.emulator.user_cancel_payment(beacon_id)
        else:
            self.emulator.user_accept_payment(beacon_id, V10_PHONE)


class EPaymentBackend:
    """The Vipps MobilePay ePayment emulator as Vipps MobilePay behaves on a bad day: its own rate limits
    (429) and locks (423) on, webhooks delivered late, twice, out of order or never, and customers who
    scan the till's sticker."""

    name = "epayment"
    url_parameter = "pos_mobilepay.epayment_emulator_url"
    method_values = {"mobilepay_api": "epayment", "vipps_environment": "demo", "vipps_flow": "qr_on_screen"}
    create_paths = [("POST", "/epayment/v1/payments"), ("POST", "/epayment/v1/payments/*/refund")]
    fault_paths = [
        ("POST", "/epayment/v1/payments"),
        ("GET", "/epayment/v1/payments/*"),
        ("GET", "/epayment/v1/payments/*/events"),
        ("POST", "/epayment/v1/payments/*/capture"),
        ("POST", "/epayment/v1/payments/*/cancel"),
        ("POST", "/epayment/v1/payments/*/refund"),
        ("POST", "/accesstoken/get"),
    ]
    # "busy": a gateway's 423/429 after any answer; "problem": the API's own "try again later", kept for
    # the request's key (API.md 5, 6.5) where Vipps MobilePay documents it.
    fault_kinds = ["status", "drop_before", "drop_after", "timeout", "body", "busy", "problem"]
    problem_codes = {
        ("POST", "/epayment/v1/payments/*/capture"): ["6160", "6260", "6280"],
        ("POST", "/epayment/v1/payments/*/cancel"): ["6250", "6160"],
        ("POST", "/epayment/v1/payments/*/refund"): ["6160"],
    }
    busy_paths = [
        ("POST", "/epayment/v1/payments"),
        ("POST", "/epayment/v1/payments/*/capture"),
        ("POST", "/epayment/v1/payments/*/cancel"),
        ("POST", "/epayment/v1/payments/*/refund"),
        ("GET", "/epayment/v1/payments/*"),
    ]
    timeout_ms = {"POST": 5300, "GET": 5300}  # the client waits 5 s
    not_there_yet = EPaymentControlError
    webhooks = True
    customers = 60  # app users who scan the stickers (besides the demo customers)

    def __init__(self, poll_delay_ms, seed=1):
        settings = EPaymentEmulatorSettings(
            webhook_delay_s=(0.0, 3.0),
            webhook_duplicate_probability=0.15,
            webhook_loss_probability=0.03,
            webhook_keep_order=False,
            webhook_retry_delays_s=(1.0, 2.0, 2.0, 5.0, 10.0, 30.0),
            webhook_max_attempts=12,
        )
        self.emulator = EPaymentEmulator(settings)
        self.emulator.faults.rng.seed(seed)
        self.phones = [f"45{70000000 + index:08d}" for index in range(self.customers)]
        for phone in self.phones:
            self.emulator.add_customer(phone, name=f"Customer {phone[-4:]}", age=30)

    def customer_acts(self, kind, answer, beacon_id, phone=None):
        reference = answer["transaction_id"]  # our reference, known before the create call
        if kind == "reject":
            self.emulator.reject(reference)
        elif kind == "approve slowly":
            # The customer is in 3-D Secure for a while (a cancel meanwhile is refused with 6250).
            self.emulator.approve_after(reference, 2.5, phone_number=phone)
        else:
            self.emulator.approve(reference, phone_number=phone)

    def sticker_payment(self, reference):
        """The payment Vipps MobilePay holds for ``reference`` (None: not sent yet)."""
        try:
            return self.emulator.payment(reference)
        except EPaymentControlError:
            return None

    def scan(self, sticker, phone):
        """The customer scans the till's sticker; the check-in goes to Odoo's webhook in the background."""
        return self.emulator.scan_callback_qr(sticker, phone_number=phone)


BACKENDS = {"v10": V10Backend, "epayment": EPaymentBackend}
