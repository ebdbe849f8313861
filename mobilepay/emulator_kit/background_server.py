"""Serving an emulator over real HTTP in a background thread (werkzeug's threaded server)."""

import threading

from werkzeug.serving import make_server


class BackgroundServer:
    """A running HTTP server: ``base_url`` and ``stop()``."""

    def __init__(self, app, host="127.0.0.1", port=0, *, request_handler, thread_name):
        self._server = make_server(host, port, app, threaded=True, request_handler=request_handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=thread_name, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
