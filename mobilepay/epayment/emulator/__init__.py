"""Emulator of the Vipps MobilePay ePayment API, with the Access Token, Webhooks and QR
(merchant callback) APIs an in-store integration needs (the shared ``vipps-epayment/API.md``).

    from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings

    emu = EPaymentEmulator(EPaymentEmulatorSettings.for_tests()).start("127.0.0.1", 0)
    print(emu.base_url, emu.demo.client_id, emu.demo.client_secret, emu.demo.subscription_key, emu.demo.msn)
    ...
    emu.stop()

Run it as a program with ``python -m mobilepay.epayment.emulator`` (see ``--help``). README.md in
this folder lists the test controls and every choice made where no source is explicit.
"""

from .customers import Customer
from .emulator import EPaymentEmulator
from .faults import Fault
from .problems import ControlError
from .records import SalesUnitKeys
from .settings import EPaymentEmulatorSettings
from .state import DemoData

__all__ = ["EPaymentEmulator", "EPaymentEmulatorSettings", "DemoData", "ControlError", "Fault", "Customer",
           "SalesUnitKeys"]
