"""Webhooks API v1: register, list and delete this sales unit's registrations (ePayment API.md 10.1-10.3)."""

from urllib.parse import quote

from .http import VippsApi, model
from .schemas import WebhookList, WebhookRegistration, WebhookRegistrationRequest


class WebhooksClient(VippsApi):
    @property
    def _base(self):
        return f"{self.config.hosts.webhooks}/webhooks"

    def register(self, url, events) -> WebhookRegistration:
        """The answer's ``secret`` is shown only now: store it (API.md 10.1)."""
        body = model(WebhookRegistrationRequest, url=url, events=list(events)).to_json()
        return self.call("POST", self._base, body=body, answer=WebhookRegistration)

    def list(self) -> WebhookList:
        return self.call("GET", self._base, answer=WebhookList)

    def delete(self, webhook_id):
        self.call("DELETE", f"{self._base}/{quote(str(webhook_id), safe='')}")
