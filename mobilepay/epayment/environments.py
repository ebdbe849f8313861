"""Where the Vipps MobilePay APIs live (ePayment API.md section 2)."""

from dataclasses import dataclass

from ..errors import MobilePayValidationError


@dataclass(frozen=True)
class Hosts:
    """One environment: every API hangs off the same host."""

    name: str
    base: str
    is_test: bool

    @property
    def token_url(self):
        return f"{self.base}/accesstoken/get"

    @property
    def epayment(self):
        return f"{self.base}/epayment/v1"

    @property
    def webhooks(self):
        return f"{self.base}/webhooks/v1"

    @property
    def qr(self):
        return f"{self.base}/qr/v1"


PRODUCTION = Hosts("production", "https://api.vipps.no", is_test=False)
TEST = Hosts("test", "https://apitest.vipps.no", is_test=True)


def by_name(name, base_url=None):
    """``production``, ``test``, or ``emulator`` (which needs ``base_url``)."""
    if name == "production":
        return PRODUCTION
    if name == "test":
        return TEST
    if name == "emulator":
        if not base_url:
            raise MobilePayValidationError("The ePayment emulator needs its base URL.")
        return Hosts("emulator", base_url.rstrip("/"), is_test=True)
    raise MobilePayValidationError(f"Unknown Vipps MobilePay environment {name!r}: production, test or emulator.")
