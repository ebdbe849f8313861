"""The check-in notification of API.md section 13.

When someone checks in on a PoS that has a callbackAlias, MobilePay POSTs a
small PascalCase JSON body to the URL registered for that alias. Any answer
other than 200 (or no answer) is retried ``notification_retries`` times
(3 since 2021-08) after ``notification_retry_delay_s``. Each notification is
sent from its own daemon thread so that the API call that caused it is never
delayed. [Unconfirmed] no signature header; Content-Type application/json.
"""

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Notification:
    alias: str
    url: Optional[str]
    body: dict
    attempts: list = field(default_factory=list)  # HTTP status per attempt, or the error text
    delivered: bool = False
    finished: bool = False

    def to_json(self):
        return {"alias": self.alias, "url": self.url, "body": self.body, "attempts": list(self.attempts),
                "delivered": self.delivered, "finished": self.finished}


class Notifier:
    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._callbacks = {}
        self._stopping = threading.Event()
        # Callback receivers are local test servers: never go through an HTTP proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.sent = []

    def register(self, alias: str, url: str):
        with self._lock:
            self._callbacks[alias] = url

    def url_for(self, alias):
        with self._lock:
            return self._callbacks.get(alias)

    def reset(self, callbacks: dict):
        with self._lock:
            self._callbacks = dict(callbacks)
            self.sent = []

    def stop(self):
        """Stop retrying (pending retries give up)."""
        self._stopping.set()

    def resume(self):
        self._stopping.clear()

    def notify(self, alias: str, body: dict) -> Notification:
        notification = Notification(alias=alias, url=self.url_for(alias), body=body)
        with self._lock:
            self.sent.append(notification)
        if notification.url is None:
            notification.finished = True  # nobody registered this alias: nothing to send
            return notification
        thread = threading.Thread(target=self._deliver, args=(notification,), name="mobilepay-emulator-notify",
                                  daemon=True)
        thread.start()
        return notification

    def _deliver(self, notification: Notification):
        s = self.settings
        data = json.dumps(notification.body).encode("utf-8")
        for attempt in range(1 + max(0, s.notification_retries)):
            if attempt and self._stopping.wait(s.notification_retry_delay_s):
                break
            request = urllib.request.Request(
                notification.url, data=data, method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "mobilepay-pos-v10-emulator"},
            )
            try:
                with self._opener.open(request, timeout=s.notification_timeout_s) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, ValueError) as exc:
                status = f"error: {exc}"
            notification.attempts.append(status)
            if status == 200:
                notification.delivered = True
                break
        notification.finished = True

    def to_json(self):
        with self._lock:
            return [n.to_json() for n in self.sent]
