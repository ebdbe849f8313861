"""The old home of the MobilePay PoS v10 emulator, kept for one release (0.x installations and scripts).

The emulator now lives in ``mobilepay.v10.emulator``; ``python -m mobilepay.emulator`` still starts it.
"""

from ..v10.emulator import ControlError, DemoData, Emulator, EmulatorSettings, Fault

__all__ = ["ControlError", "DemoData", "Emulator", "EmulatorSettings", "Fault"]
