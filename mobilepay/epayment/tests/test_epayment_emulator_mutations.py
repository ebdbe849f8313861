"""ePayment emulator: every field of every request body, one at a time, replaced by a hostile value.

The schemathesis run (test_epayment_emulator_fuzz) draws whole requests at random and, bounded as it
must be, rarely reaches a nested field with a bad value while the rest of the body is right: it did
not find the four 500s of issue 19 (an impossible date matching ``expiresAt``'s pattern, list items of
the wrong type in ``paymentMethod.blockedSources`` and in the QR exchange's ``requestedData``, an
unparsable webhook URL). This run is systematic instead: it starts from a valid body of each operation
the in-store integration uses and, for each field (list items included), sends the body with that one
field replaced by a wrong-typed value, left out, or, where the valid value is a date-time or a URL, an
impossible date or an unparsable URL. Every answer must not be a server error and must match the spec
(``epayment_api`` checks each answer against its saved spec; the mutated request itself may break it).

The run is deterministic (no randomness) and sends about 700 requests. Run against the emulator as it
was before issue 19's fixes, it fails on all four inputs.
"""

import uuid
from datetime import timedelta

import pytest

WRONG_TYPES = [None, True, 7, -1, 1.5, "", "x", [], {}, [1], [{"a": 1}], {"x": 1}]
IMPOSSIBLE_DATES = ["2025-02-30T10:00:00Z", "2025-13-01T10:00:00Z", "2025-06-01T25:00:00Z", "0000-01-01T00:00:00Z"]
BROKEN_URLS = ["http://[", "https://[::1/hook", "http://host:port/hook", "http://host:99999/"]
MISSING = object()


def _leaves(value, path=()):
    """Every (path, value) of a JSON body, containers included (a path is a tuple of keys and indexes)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))


def _replaced(body, path, new):
    if not path:
        return new
    copy = body.copy() if isinstance(body, dict) else list(body)
    head, rest = path[0], path[1:]
    if not rest and new is MISSING:
        if isinstance(copy, dict):
            copy.pop(head)
        else:
            copy.pop(head)
        return copy
    copy[head] = _replaced(body[head], rest, new)
    return copy


def _hostile_values(value):
    values = [v for v in WRONG_TYPES if v != value or type(v) is not type(value)]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        values += IMPOSSIBLE_DATES
    if isinstance(value, str) and value.startswith("http"):
        values += BROKEN_URLS
    return values


def _mutations(body):
    for path, value in _leaves(body):
        if not path:
            continue
        for new in [MISSING, *_hostile_values(value)]:
            yield path, new, _replaced(body, path, new)


def _where(path):
    return ".".join(str(part) for part in path)


def _payment_body(epayment_api, expires_at):
    return epayment_api.payment_body(
        reference="mut-" + uuid.uuid4().hex[:12],
        expiresAt=expires_at,
        paymentMethod={"type": "WALLET", "blockedSources": ["COMMERCIAL_CARDS"]},
        metadata={"orderId": "Order 1"},
        receipt={"orderLines": [{"name": "Kaffe", "id": "1", "totalAmount": 1250, "totalAmountExcludingTax": 1000,
                                 "totalTaxAmount": 250, "taxPercentage": 25,
                                 "unitInfo": {"unitPrice": 1250, "quantity": "1", "quantityUnit": "PCS"}}],
                 "bottomLine": {"currency": "DKK", "posId": "Kasse 1"}},
    )


class Answers:
    """Collects the server errors of a run, so that one failure does not hide the next."""

    def __init__(self):
        self.sent = 0
        self.server_errors = []

    def check(self, response, what):
        self.sent += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{what} answered {response.status_code}: {response.text[:120]}")
        return response.status_code

    def assert_none_failed(self):
        assert self.sent, "no request was sent"
        assert not self.server_errors, f"{len(self.server_errors)} of {self.sent}:\n" + "\n".join(self.server_errors)


@pytest.fixture
def answers():
    return Answers()


def test_every_field_of_a_payment_create(epayment_api, epayment_emulator, answers):
    tomorrow = epayment_emulator.clock.now().replace(microsecond=0) + timedelta(days=1)
    body = _payment_body(epayment_api, tomorrow.isoformat().replace("+00:00", "Z"))
    first = epayment_api.create(body)
    assert first.status_code == 201, first.text  # the starting point is valid
    for path, new, mutated in _mutations(body):
        if path != ("reference",) and isinstance(mutated, dict):
            mutated = {**mutated, "reference": "mut-" + uuid.uuid4().hex[:12]}
        answers.check(epayment_api.create(mutated, validate_request=False), f"create with {_where(path)}={new!r}")
    assert answers.sent > 250
    answers.assert_none_failed()


@pytest.mark.parametrize("operation, body", [
    ("capture", {"modificationAmount": {"currency": "DKK", "value": 100}}),
    ("refund", {"modificationAmount": {"currency": "DKK", "value": 100}}),
    ("cancel", {"cancelTransactionOnly": False}),
])

def test_every_field_of_a_payment_modification(epayment_api, operation, body, answers):
    reference = epayment_api.authorized_payment(value=100000)
    if operation == "refund":
        response = epayment_api.post(f"/epayment/v1/payments/{reference}/capture",
                                     {"modificationAmount": {"currency": "DKK", "value": 100000}},
                                     idempotency_key=str(uuid.uuid4()))
        assert response.status_code == 200, response.text
    for path, new, mutated in _mutations(body):
        response = epayment_api.post(f"/epayment/v1/payments/{reference}/{operation}", mutated,
                                     idempotency_key=str(uuid.uuid4()), validate_request=False)
        answers.check(response, f"{operation} with {_where(path)}={new!r}")
    answers.assert_none_failed()


def test_every_field_of_a_force_approve(epayment_api, answers):
    for body in ({"customer": {"phoneNumber": "4512345678"}}, {"token": "abc"}):
        for path, new, mutated in _mutations(body):
            reference = epayment_api.create_payment(flow="QR")
            response = epayment_api.post(f"/epayment/v1/test/payments/{reference}/approve", mutated,
                                         validate_request=False)
            answers.check(response, f"force approve with {_where(path)}={new!r}")
    answers.assert_none_failed()


def test_every_field_of_a_webhook_registration(epayment_api, answers):
    body = {"url": "https://shop.example/pos_mobilepay/vipps/webhook", "events": ["epayments.payment.created.v1"]}
    for path, new, mutated in _mutations(body):
        response = epayment_api.post("/webhooks/v1/webhooks", mutated, validate_request=False)
        if answers.check(response, f"webhook registration with {_where(path)}={new!r}") == 201:
            epayment_api.delete(f"/webhooks/v1/webhooks/{response.json()['id']}")
    answers.assert_none_failed()


@pytest.mark.parametrize("path, body", [
    ("/qr/v1/exchange", {"qrCode": "https://qr.vipps.no/28/2/01/031/4512345678", "requestedData": ["MSISDN"]}),
    ("/qr/v1/exchange/customer", {"customer": {"customerToken": "token"}, "requestedData": ["MSISDN"]}),
])

def test_every_field_of_a_qr_exchange(epayment_api, path, body, answers):
    for field, new, mutated in _mutations(body):
        answers.check(epayment_api.post(path, mutated, validate_request=False), f"{path} with {_where(field)}={new!r}")
    answers.assert_none_failed()


def test_every_field_of_a_merchant_callback_qr(epayment_api, answers):
    body = {"locationDescription": "Kasse 1", "qrImageFormat": "SVG"}
    for path, new, mutated in _mutations(body):
        response = epayment_api.put(f"/qr/v1/merchant-callback/mut{uuid.uuid4().hex[:8]}", mutated,
                                    validate_request=False)
        answers.check(response, f"merchant-callback QR with {_where(path)}={new!r}")
    answers.assert_none_failed()
