"""One sales unit's keys and the calling system's names (ePayment API.md 3.1 and 4)."""

import re
from dataclasses import dataclass, field

from ..errors import MobilePayValidationError
from .environments import Hosts
from .schemas import MAX_SYSTEM_HEADER, MSN_PATTERN

DEFAULT_SYSTEM_NAME = "odoo"
DEFAULT_SYSTEM_VERSION = "19.0"
DEFAULT_PLUGIN_NAME = "pos_mobilepay"
DEFAULT_PLUGIN_VERSION = "19.0.1"


@dataclass(frozen=True)
class EPaymentConfig:
    hosts: Hosts
    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)
    msn: str
    system_name: str = DEFAULT_SYSTEM_NAME
    system_version: str = DEFAULT_SYSTEM_VERSION
    plugin_name: str = DEFAULT_PLUGIN_NAME
    plugin_version: str = DEFAULT_PLUGIN_VERSION
    timeout: float = 5.0  # not prescribed (API.md 9); a timeout means "unknown", never "failed"
    max_retries: int = 2
    backoff_factor: float = 0.2

    def __post_init__(self):
        problems = []
        for label, value in (("client id", self.client_id), ("client secret", self.client_secret),
                             ("subscription key", self.subscription_key)):
            if not value or not str(value).strip():
                problems.append(f"the {label} is missing")
        if not re.fullmatch(MSN_PATTERN, self.msn or ""):
            problems.append("the merchant serial number must be 4 to 6 digits")
        for label, value in (("system name", self.system_name), ("system version", self.system_version),
                             ("plugin name", self.plugin_name), ("plugin version", self.plugin_version)):
            if not value or len(value) > MAX_SYSTEM_HEADER or not value.isprintable():
                problems.append(f"the {label} must be 1 to {MAX_SYSTEM_HEADER} printable characters")
        if problems:
            raise MobilePayValidationError("Invalid Vipps MobilePay settings: " + "; ".join(problems) + ".")

    def system_headers(self):
        return {
            "Vipps-System-Name": self.system_name,
            "Vipps-System-Version": self.system_version,
            "Vipps-System-Plugin-Name": self.plugin_name,
            "Vipps-System-Plugin-Version": self.plugin_version,
        }
