"""Where the MobilePay PoS v10 service lives (API.md section 2)."""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of one environment.

    ``api_base`` includes the ``/pos/v10`` prefix; ``user_simulation_base`` is
    only set where the sandbox user-simulation API exists.
    """

    name: str
    api_base: str
    auth_base: str
    user_simulation_base: Optional[str] = None

    @property
    def token_url(self):
        return f"{self.auth_base}/connect/token"

    @property
    def discovery_url(self):
        return f"{self.auth_base}/.well-known/openid-configuration"


PRODUCTION = Endpoints(
    name="production",
    api_base="https://api.mobilepay.dk/pos/v10",
    auth_base="https://api.mobilepay.dk/integrator-authentication",
)

SANDBOX = Endpoints(
    name="sandbox",
    api_base="https://api.sandbox.mobilepay.dk/pos/v10",
    auth_base="https://api.sandbox.mobilepay.dk/integrator-authentication",
    user_simulation_base="https://api.sandbox.mobilepay.dk/pos/app/usersimulation",
)


def emulator(base_url):
    """Endpoints of a v10 emulator (or any server laid out like MobilePay's) at ``base_url``."""
    root = base_url.rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"The emulator URL must start with http:// or https:// (got {base_url!r})")
    return Endpoints(
        name="emulator",
        api_base=f"{root}/pos/v10",
        auth_base=f"{root}/integrator-authentication",
        user_simulation_base=f"{root}/pos/app/usersimulation",
    )


def by_name(name, base_url=None):
    """``production``, ``sandbox`` or ``emulator`` (the latter needs ``base_url``)."""
    if name == "production":
        return PRODUCTION
    if name == "sandbox":
        return SANDBOX
    if name == "emulator":
        if not base_url:
            raise ValueError("The emulator environment needs a base URL")
        return emulator(base_url)
    raise ValueError(f"Unknown MobilePay environment {name!r}: use production, sandbox or emulator")
