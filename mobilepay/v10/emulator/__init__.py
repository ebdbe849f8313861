"""Emulator of the retired MobilePay Point of Sale API v10 (see API.md section 15).

    from mobilepay.v10.emulator import Emulator
    from mobilepay.v10.emulator import EmulatorSettings

    emu = Emulator(EmulatorSettings(payment_poll_delay_ms=50)).start()
    print(emu.base_url, emu.demo.client_id, emu.demo.client_secret, emu.demo.merchant_vat)
    ...
    emu.stop()

Run it as a program with ``python -m mobilepay.v10.emulator`` (see ``--help``).
"""

from ...emulator_kit.faults import Fault
from .api_errors import ControlError
from .emulator import Emulator
from .settings import EmulatorSettings
from .state import DemoData

__all__ = ["Emulator", "EmulatorSettings", "DemoData", "ControlError", "Fault"]
