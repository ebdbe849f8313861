"""Test controls over HTTP (``/emulator/...``): what both emulators' control endpoints share.

``ControlError`` (a control that cannot be carried out: ``400 {"error": "..."}``), reading a control's
JSON body, and the controls that work alike in both: reset, settings, state, faults, request log.
"""

import json

from .json_responses import json_response


class ControlError(Exception):
    """A test control (Python method or ``/emulator/...`` endpoint) could not be carried out."""


def control_body(call, not_json="the body must be JSON", blank_is_empty=True) -> dict:
    """The JSON object a control was sent; ``{}`` for an empty body (or a blank one, with ``blank_is_empty``)."""
    raw = call.request.get_data()
    if not (raw.strip() if blank_is_empty else raw):
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ControlError(not_json) from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def required(body, key):
    if body.get(key) in (None, ""):
        raise ControlError(f"{key} is required")
    return body[key]


def ok(**extra):
    return json_response({"ok": True, **extra})


def add_fault(call, body, default_path):
    """``POST /emulator/faults``: the fault of the body (camelCase ``Faults.add`` arguments) -> ``{"fault"}``."""
    try:
        fault = call.emulator.faults.add(
            method=body.get("method", "POST"), path=body.get("path", default_path),
            kind=body.get("kind", "status"), status=body.get("status"), latency_ms=body.get("latencyMs", 0),
            times=body.get("times", 1), probability=body.get("probability", 1.0),
            latency_max_ms=body.get("latencyMaxMs"), body=body.get("body", ""), code=body.get("code"),
        )
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    return ok(fault=fault.to_json())


def clear_faults(call):
    call.emulator.faults.clear()
    return ok()


def reset(call):
    call.emulator.reset()
    return ok()


def update_settings(call, body):
    try:
        call.settings.update(body)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return ok()


def dump_state(call):
    return json_response(call.emulator.dump_state())


def requests_log(call):
    return json_response([list(entry) for entry in call.emulator.requests_log])
