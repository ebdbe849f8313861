"""Serving the emulator over real HTTP in a background thread (werkzeug's threaded server).

Werkzeug drops request headers whose names contain an underscore (so that ``client-id`` cannot be
spoofed as ``client_id``), but the Access Token API's headers are exactly ``client_id`` and
``client_secret`` (API.md 3.2). The request handler keeps them apart, under ``UNDERSCORE_HEADERS_KEY``.
"""

import threading

from werkzeug.serving import make_server

from ...emulator.server import EmulatorRequestHandler

UNDERSCORE_HEADERS_KEY = "epayment_emulator.underscore_headers"


class EPaymentRequestHandler(EmulatorRequestHandler):
    def make_environ(self):
        environ = super().make_environ()
        environ[UNDERSCORE_HEADERS_KEY] = {name.lower(): value for name, value in self.headers.items()
                                           if "_" in name}
        return environ


class BackgroundServer:
    """A running HTTP server: ``base_url`` and ``stop()``."""

    def __init__(self, app, host="127.0.0.1", port=0):
        self._server = make_server(host, port, app, threaded=True, request_handler=EPaymentRequestHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="epayment-emulator-http", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
