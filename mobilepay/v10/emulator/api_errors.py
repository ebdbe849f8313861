"""Errors the emulator answers with, as exceptions raised by the business logic."""

# ControlError: a test control (Python or /emulator/... endpoint) could not be carried out.
from ...emulator_kit.controls import ControlError as ControlError
from ...formats import check_guid
from ..errors import ERROR_CODES, SIMULATION_REFUSALS

# The codes of a refused user-simulation action (HTTP 500), shared with the client.
SIMULATION_ERROR_CODES = SIMULATION_REFUSALS


class ApiError(Exception):
    """An error answer: HTTP status plus a MobilePay error code (or none, e.g. a bare 404)."""

    def __init__(self, code=None, status=None, message=None):
        if code is not None:
            code = str(code)
            if status is None:
                status = ERROR_CODES.get(code, (500, None))[0]
            if message is None:
                message = ERROR_CODES.get(code, (None, None))[1] or SIMULATION_ERROR_CODES.get(code)
        self.code = code
        self.status = status or 500
        self.message = message
        super().__init__(f"{self.status} {code or ''} {message or ''}".strip())


class NotFound(ApiError):
    """404 without a MobilePay code (the spec documents no body)."""

    def __init__(self, message="Not found", code=None):
        super().__init__(code=code, status=404, message=message)


class Unauthorized(ApiError):
    def __init__(self, message="The access token is missing, invalid or expired"):
        super().__init__(code=None, status=401, message=message)


class SimulationError(ApiError):
    def __init__(self, code, message=None):
        super().__init__(code=code, status=500, message=message or SIMULATION_ERROR_CODES[code])


def path_guid(value, what, code=None):
    """The GUID of a path segment (lower-cased); a segment that is no GUID names nothing: 404."""
    try:
        return check_guid(value)
    except ValueError:
        raise NotFound(f"{what} not found", code=code) from None
