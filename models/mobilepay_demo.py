"""Demo mode: the built-in emulators as the payment service.

With ``environment = demo`` a v10 payment method talks to the emulator of the retired
PoS API v10 (``mobilepay/v10/emulator``) with the emulator's demo integrator, whatever
credentials the form holds; its URL is the system parameter ``pos_mobilepay.emulator_url``
(default ``http://127.0.0.1:8765``). An ePayment method in demo mode talks to the ePayment
emulator (``mobilepay/epayment/emulator``) with its demo sales unit, at
``pos_mobilepay.epayment_emulator_url`` (default ``http://127.0.0.1:8766``).

When nothing answers at a loopback URL, the emulator is started once as a detached
process (``python -m mobilepay.v10.emulator --host 127.0.0.1 --port <port>``, run from the
addon's root with Odoo's own interpreter). Several workers may want it at the same
moment: a file lock per port serialises them, and the one holding the lock checks
again before it starts anything. Then every caller waits (a few seconds at most)
until the emulator answers. Its output goes to ``pos_mobilepay_emulator_<port>.log``
in the temporary directory.

The emulator keeps its state in memory: several Odoo *servers* on one database must
share one emulator, so give them a URL that is not loopback (and start the emulator
there yourself); nothing is started automatically for such a URL.
"""

import fcntl
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

from ..mobilepay.epayment.emulator import settings as epayment_settings
from ..mobilepay.v10.emulator import settings as emulator_settings

_logger = logging.getLogger(__name__)

URL_PARAMETER = "pos_mobilepay.emulator_url"
DEFAULT_URL = "http://127.0.0.1:8765"

# The integrator and Danish store every emulator is seeded with (public demo values).
DEMO_CLIENT_ID = emulator_settings.DEMO_CLIENT_ID
DEMO_CLIENT_SECRET = emulator_settings.DEMO_CLIENT_SECRET
DEMO_MERCHANT_VAT = emulator_settings.DEMO_MERCHANT_VAT
DEMO_MERCHANT_BRAND_ID = emulator_settings.DEMO_MERCHANT_BRAND_ID
DEMO_MERCHANT_LOCATION_ID = emulator_settings.DEMO_MERCHANT_LOCATION_ID

EPAYMENT_URL_PARAMETER = "pos_mobilepay.epayment_emulator_url"
DEFAULT_EPAYMENT_URL = "http://127.0.0.1:8766"
V10_PROGRAM = "mobilepay.v10.emulator"
EPAYMENT_PROGRAM = "mobilepay.epayment.emulator"
# The demo sales unit of the ePayment emulator (public demo values).
EPAYMENT_CLIENT_ID = epayment_settings.DEMO_CLIENT_ID
EPAYMENT_CLIENT_SECRET = epayment_settings.DEMO_CLIENT_SECRET
EPAYMENT_SUBSCRIPTION_KEY = epayment_settings.DEMO_SUBSCRIPTION_KEY
EPAYMENT_MSN = epayment_settings.DEMO_MSN

ADDON_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
START_TIMEOUT_S = 15.0
# A URL seen answering is not probed again for this long (per process).
_ALIVE_CACHE_S = 5.0
_alive_until = {}


class EmulatorUnavailable(Exception):
    """The demo emulator does not answer and could not be started."""


def _host_port(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EmulatorUnavailable(f"{url!r} is not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port


def is_listening(url, timeout=0.5):
    """Whether something accepts TCP connections at the URL's host and port."""
    host, port = _host_port(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_until_listening(url, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(url, timeout=0.3):
            return True
        time.sleep(0.1)
    return False


def lock_path(port):
    return os.path.join(tempfile.gettempdir(), f"pos_mobilepay_emulator_{port}.lock")


def log_path(port):
    return os.path.join(tempfile.gettempdir(), f"pos_mobilepay_emulator_{port}.log")


def start_detached(port, host="127.0.0.1", program=V10_PROGRAM, purpose="demo mode"):
    """Start an emulator as a process of its own (it outlives this worker); returns the Popen.
    ``purpose``: who asked (a demo payment method), for the log."""
    if program not in (V10_PROGRAM, EPAYMENT_PROGRAM):
        raise EmulatorUnavailable(f"no emulator is called {program!r}")
    command = [sys.executable, "-m", program, "--host", host, "--port", str(port)]
    if program == EPAYMENT_PROGRAM:
        command.append("--fast-webhook-retries")
    with open(log_path(port), "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
            command,
            cwd=ADDON_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached: not killed with the worker, no terminal signals
            close_fds=True,
        )
    _logger.info(
        "MobilePay demo: started %s on %s:%s for %s, no money moves (pid %s, log %s)",
        program, host, port, purpose, process.pid, log_path(port),
    )
    return process


def ensure_running(url, autostart=True, timeout=START_TIMEOUT_S, program=V10_PROGRAM, purpose="demo mode"):
    """Make sure the demo emulator answers at ``url``; start it when it is a free loopback port.

    Returns the Popen of a process started by this call, else None. Raises
    ``EmulatorUnavailable`` when it does not answer in the end.
    """
    now = time.monotonic()
    if _alive_until.get(url, 0) > now:
        return None
    if is_listening(url):
        _alive_until[url] = now + _ALIVE_CACHE_S
        return None
    host, port = _host_port(url)
    if not autostart or host not in LOOPBACK_HOSTS:
        raise EmulatorUnavailable(f"the MobilePay emulator does not answer at {url}")
    process = None
    with open(lock_path(port), "a+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # one starter per port on this machine
        try:
            if not is_listening(url):
                process = start_detached(
                    port, host="::1" if host == "::1" else "127.0.0.1", program=program, purpose=purpose
                )
                if not _wait_until_listening(url, timeout):
                    raise EmulatorUnavailable(
                        f"the MobilePay emulator was started but does not answer at {url} (see {log_path(port)})"
                    )
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    _alive_until[url] = time.monotonic() + _ALIVE_CACHE_S
    return process
