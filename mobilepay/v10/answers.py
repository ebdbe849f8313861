"""How the PoS API v10's answers are read: JSON bodies, and error bodies turned into typed errors."""

import logging

import pydantic

from ..errors import MobilePayResponseError, MobilePaySimulationRefused, api_error_class
from .errors import REASONS, SIMULATION_REFUSALS
from .schemas import ErrorBody

_logger = logging.getLogger(__name__)

SIMULATION_PATHS = ("/checkin", "/acceptpayment", "/cancelpaymentbyuser")


def parse_answer(model, raw, status, method, path):
    """The answer validated into ``model``, or ``MobilePayResponseError``: MobilePay answered, but what
    it did is unknown."""
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ())) or 'body'}: {err.get('msg', 'invalid')}"
            for err in exc.errors(include_url=False, include_input=False)[:3]
        )
        raise MobilePayResponseError(
            status, message=f"the answer could not be understood ({problems})", method=method, path=path
        ) from None

def read_answer(response, method, path):
    """The JSON of a 2xx answer (None when empty); any other answer raises its typed error."""
    if 200 <= response.status_code < 300:
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise MobilePayResponseError(
                response.status_code, message="the answer was not JSON", method=method, path=path
            ) from None
    error = ErrorBody()
    try:
        raw = response.json()
        if isinstance(raw, dict):
            # The prose docs write CorrelationId, the spec correlationId: read keys case-insensitively.
            lowered = {str(k).lower(): v for k, v in raw.items()}
            error = ErrorBody(
                code=lowered.get("code"),
                message=lowered.get("message"),
                correlation_id=lowered.get("correlationid"),
                origin=lowered.get("origin"),
            )
    except ValueError:
        pass
    correlation_id = error.correlation_id or response.headers.get("CorrelationId")
    _logger.info(
        "MobilePay %s %s answered HTTP %s code %s correlation %s",
        method,
        path,
        response.status_code,
        error.code,
        correlation_id,
    )
    error_class = api_error_class(response.status_code)
    if response.status_code == 500 and error.code in SIMULATION_REFUSALS and path in SIMULATION_PATHS:
        error_class = MobilePaySimulationRefused
    raise error_class(
        response.status_code,
        code=error.code,
        message=error.message,
        correlation_id=correlation_id,
        origin=error.origin,
        method=method,
        path=path,
        reason=REASONS.get(error.code),
    )
