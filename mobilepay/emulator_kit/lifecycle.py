"""Starting and stopping an emulator: its HTTP server in the background, ``base_url``, ``with``,
and the log of the requests it answered.

An emulator subclasses ``ServedEmulator``, sets ``wsgi_app`` and the request handler of its server,
and hooks its own background work (notifications, webhook deliveries) into start and stop.
"""

import threading

from .background_server import BackgroundServer


class ServedEmulator:
    # The werkzeug request handler class and the name of the serving thread.
    request_handler = None
    server_thread_name = "emulator-http"

    def __init__(self):
        self._log_lock = threading.Lock()
        self.requests_log = []
        self._server = None

    # ------------------------------------------------------------------ serving

    def start(self, host: str = "127.0.0.1", port: int = 0):
        if self._server is not None:
            raise RuntimeError("the emulator is already running at " + self.base_url)
        self._before_start()
        self._server = BackgroundServer(self.wsgi_app, host, port, request_handler=self.request_handler,
                                        thread_name=self.server_thread_name)
        self._after_start()
        return self

    def stop(self) -> None:
        self._before_stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _before_start(self) -> None:
        """Runs before the server listens (the emulator is not running yet)."""

    def _after_start(self) -> None:
        """Runs once the server listens."""

    def _before_stop(self) -> None:
        """Runs before the server stops (also when it is not running)."""

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._server.base_url

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self):
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # ------------------------------------------------------------------ the request log

    def log_request(self, method, path, status):
        with self._log_lock:
            self.requests_log.append((method, path, status))

    def _clear_requests_log(self) -> None:
        with self._log_lock:
            self.requests_log.clear()

    def _requests_logged(self) -> int:
        with self._log_lock:
            return len(self.requests_log)
