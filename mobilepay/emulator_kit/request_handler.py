"""The request handler the emulator is served with (``emulator_kit.background_server``).

It counts repeated header lines (for the "duplicated header" errors), hands the socket to the
fault injection (connection drops) and logs quietly.
"""

import logging
from collections import Counter

from werkzeug.serving import WSGIRequestHandler

_logger = logging.getLogger("mobilepay.emulator.http")

SERVER_THREAD_NAME = "mobilepay-emulator-http"
# Where the handler leaves the count of each header line, for the "duplicated header" errors.
HEADER_COUNTS_KEY = "mobilepay_emulator.header_counts"


class EmulatorRequestHandler(WSGIRequestHandler):
    """Counts repeated header lines (for the "duplicated header" errors) and logs quietly."""

    def make_environ(self):
        environ = super().make_environ()
        environ[HEADER_COUNTS_KEY] = Counter(name.lower() for name in self.headers.keys())
        environ.setdefault("werkzeug.socket", self.connection)  # older werkzeug: needed by drop faults
        return environ

    def log_request(self, code="-", size="-"):
        _logger.debug("%s %s -> %s", self.command, getattr(self, "path", "?"), code)

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        level = logging.ERROR if type == "error" else logging.DEBUG
        _logger.log(level, message, *args)
