"""The request handler the emulator is served with (``emulator_kit.background_server``).

Werkzeug drops request headers whose names contain an underscore (so that ``client-id`` cannot be
spoofed as ``client_id``), but the Access Token API's headers are exactly ``client_id`` and
``client_secret`` (API.md 3.2). The request handler keeps them apart, under ``UNDERSCORE_HEADERS_KEY``.
Otherwise it is the v10 emulator's handler (quiet logging, the socket for connection-drop faults).
"""

from ...emulator_kit.request_handler import EmulatorRequestHandler

UNDERSCORE_HEADERS_KEY = "epayment_emulator.underscore_headers"

SERVER_THREAD_NAME = "epayment-emulator-http"


class EPaymentRequestHandler(EmulatorRequestHandler):
    def make_environ(self):
        environ = super().make_environ()
        environ[UNDERSCORE_HEADERS_KEY] = {name.lower(): value for name, value in self.headers.items()
                                           if "_" in name}
        return environ
