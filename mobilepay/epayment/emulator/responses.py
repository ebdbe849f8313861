"""Building the emulator's successful HTTP answers: JSON, or no body (and no Content-Type) for the
200 of force approve and the QR PUTs and the 204 of a delete (``emulator_kit.json_responses``)."""

from ...emulator_kit.json_responses import empty_response as empty_response
from ...emulator_kit.json_responses import json_response as json_response
