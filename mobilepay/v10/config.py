"""One merchant's PoS API v10 settings (``ClientConfig``) and the local checks of request values."""

from dataclasses import dataclass, field
from typing import Optional

import pydantic

from .. import formats
from ..errors import MobilePayValidationError
from . import formats as v10_formats
from .environments import Endpoints

DEFAULT_SYSTEM_NAME = "Odoo pos_mobilepay"
DEFAULT_SYSTEM_VERSION = "19.0.1"


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to talk to one merchant's MobilePay account.

    ``api_key`` is the ``X-IBM-Client-Id`` value (defaults to the client id).
    ``send_system_name`` also sends the obsolete ``X-MobilePay-Client-System-Name``
    header (off by default: API.md section 4 says clients should not send it; it was
    dropped on 2020-03-27).
    """

    endpoints: Endpoints
    client_id: str
    client_secret: str = field(repr=False)
    merchant_vat: str
    api_key: Optional[str] = None
    system_name: str = DEFAULT_SYSTEM_NAME
    system_version: str = DEFAULT_SYSTEM_VERSION
    send_system_name: bool = False
    bind_token_to_merchant: bool = False
    write_timeout: float = 2.0  # POST and DELETE (API.md 11.4)
    read_timeout: float = 0.5  # GET, polling or not
    max_retries: int = 2
    backoff_factor: float = 0.2

    def __post_init__(self):
        problems = []
        if not self.client_id:
            problems.append("the client id is missing")
        if not self.client_secret:
            problems.append("the client secret is missing")
        for label, check, value in (
            ("merchant VAT number", v10_formats.check_vat_number, self.merchant_vat),
            ("client system version", v10_formats.check_system_version, self.system_version),
            ("client system name", formats.check_text, self.system_name),
        ):
            try:
                check(value)
            except ValueError as exc:
                problems.append(f"the {label} {exc}")
        if problems:
            raise MobilePayValidationError("Invalid MobilePay settings: " + "; ".join(problems) + ".")


def valid_model(cls, **values):
    """A pydantic request model, or ``MobilePayValidationError`` saying which values are wrong."""
    try:
        return cls(**values)
    except pydantic.ValidationError as exc:
        raise MobilePayValidationError.from_pydantic(cls.__name__, exc) from None


def valid_guid(value, label):
    try:
        return formats.check_guid(value)
    except ValueError as exc:
        raise MobilePayValidationError(f"Invalid {label}: {exc}") from None
