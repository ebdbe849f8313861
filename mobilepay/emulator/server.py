"""Serving the emulator over real HTTP in a background thread (werkzeug's threaded server)."""

import logging
import threading
from collections import Counter

from werkzeug.serving import WSGIRequestHandler, make_server

from .headers import HEADER_COUNTS_KEY

_logger = logging.getLogger("mobilepay.emulator.http")


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


class BackgroundServer:
    """A running HTTP server: ``base_url`` and ``stop()``."""

    def __init__(self, app, host="127.0.0.1", port=0):
        self._server = make_server(host, port, app, threaded=True, request_handler=EmulatorRequestHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mobilepay-emulator-http", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
