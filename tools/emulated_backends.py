"""What the fault run needs to know of each backend's emulator: how to start it, where its faults go,
how the emulated customer acts, and how its ledger is read (``money_ledger``)."""

from mobilepay.emulator import Emulator, EmulatorSettings
from mobilepay.emulator.api_errors import ControlError as V10ControlError
from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings
from mobilepay.epayment.emulator.problems import ControlError as EPaymentControlError

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
    # Answers slower than the client waits (2 s for POST, 0.5 s for GET).
    timeout_ms = {"POST": 2300, "GET": 700}
    not_there_yet = V10ControlError

    def __init__(self, poll_delay_ms):
        settings = EmulatorSettings(payment_poll_delay_ms=poll_delay_ms, refund_poll_delay_ms=100,
                                    refund_reservation_delay_s=0.3)
        self.emulator = Emulator(settings)

    def customer_acts(self, kind, answer, beacon_id):
        """Approve or reject the payment of a start ``answer`` (raises ``not_there_yet`` while it is on its way)."""
        self.emulator.user_checkin(beacon_id, V10_PHONE)
        if kind == "reject":
            self.emulator.user_cancel_payment(beacon_id)
        else:
            self.emulator.user_accept_payment(beacon_id, V10_PHONE)


class EPaymentBackend:
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
    timeout_ms = {"POST": 5300, "GET": 5300}  # the client waits 5 s
    not_there_yet = EPaymentControlError

    def __init__(self, poll_delay_ms):
        self.emulator = EPaymentEmulator(EPaymentEmulatorSettings())

    def customer_acts(self, kind, answer, beacon_id):
        reference = answer["transaction_id"]  # our reference, known before the create call
        if kind == "reject":
            self.emulator.reject(reference)
        else:
            self.emulator.approve(reference)


BACKENDS = {"v10": V10Backend, "epayment": EPaymentBackend}
