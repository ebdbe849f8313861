"""HTTP endpoints of the ePayment API (API.md 7), ``/epayment/v1/...`` exactly as on api.vipps.no.

| operation | path | Idempotency-Key | success |
|---|---|---|---|
| create | POST /epayment/v1/payments | required | 201 CreatePaymentResponse |
| get | GET /epayment/v1/payments/{reference} | | 200 GetPaymentResponse |
| events | GET /epayment/v1/payments/{reference}/events | | 200 [PaymentEvent] |
| capture | POST .../{reference}/capture | required | 200 ModificationResponse |
| cancel | POST .../{reference}/cancel | required (setting) | 200 ModificationResponse |
| refund | POST .../{reference}/refund | required | 200 ModificationResponse |
| force approve | POST /epayment/v1/test/payments/{reference}/approve | | 200, no body |

ModificationResponse is sent as ``application/json`` (the spec labels it ``application/problem+json``,
a quirk API.md 7.4 notes).

What a create, capture, cancel or refund passes, in this order: authentication (auth.py), the
``Vipps-System-*`` headers, the rate limit (429, rate_limits.py), the path reference, the
Idempotency-Key header, the reference lock (423, busy.py), then the idempotency store
(idempotency.py): a replay, or the request is processed, or a ``problem`` fault (faults.py)
answers in its place and is remembered for the key as the API's own refusal would be. Get
payment and get event log pass authentication and their rate limit.
"""

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from ...emulator_kit.wsgi_app import answers_faults
from . import busy, payments, rate_limits, validation
from .auth import SUBSCRIPTION_HEADER, check_system_headers
from .faults import problem_error
from .idempotency import MAX_KEY_LENGTH, REPLAY_HEADER, fingerprint
from .problems import ApiError, coded, invalid
from .responses import empty_response, json_response

BASE = "/epayment/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _idempotency_key(call, required=True):
    key = call.request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not key.strip():
        if required:
            raise invalid(IDEMPOTENCY_HEADER, "The header is required.")
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise invalid(IDEMPOTENCY_HEADER, f"The header can be at most {MAX_KEY_LENGTH} characters long.")
    return key


def _idempotent(call, unit, operation, target, produce, required=True):
    """Run ``produce(now, key)`` once per key; replay its answer for identical retries (idempotency.py).
    The reference ``target`` is held against other modifications meanwhile (busy.py); a ``problem``
    fault is answered instead of ``produce`` and remembered like its answer."""
    key = _idempotency_key(call, required)
    busy.enter(call, unit.msn, target)
    state = call.state

    def answer(now, key):
        if call.fault is not None:
            raise problem_error(call.fault)
        return produce(now, key)

    if key is None:
        with state.transaction() as now:
            return answer(now, None)
    print_ = fingerprint(call.request.get_data())
    with state.transaction() as now:
        stored = state.idempotency.lookup(unit.msn, key, operation, target, print_)
        if stored is not None:
            response = Response(stored.body, status=stored.status, content_type=stored.content_type)
            response.headers[REPLAY_HEADER] = "true"
            return response
        try:
            response = answer(now, key)
        except ApiError as error:
            response = call.render(error)
        state.idempotency.remember(unit.msn, key, operation, target, print_, response.status_code,
                                   response.get_data(), response.content_type,
                                   state.settings.idempotency_remember_rejections)
        return response


def _path_reference(reference):
    return validation.reference(reference, where="reference")


@answers_faults
def create_payment(call):
    unit = call.unit()
    check_system_headers(call)
    target = busy.body_reference(call.request.get_data())
    rate_limits.check(call, "create", unit.msn, target)

    def produce(now, key):
        request = validation.create_request(call.json_body(), now)
        payment = payments.create(call.state, unit, request, key, now, call.base_url)
        body = {"reference": payment.reference}
        if payment.redirect_url:
            body = {"redirectUrl": payment.redirect_url, "reference": payment.reference}
        return json_response(body, status=201)

    return _idempotent(call, unit, "create", target, produce)


def _read_payment(call, operation, reference, answer):
    """GET of a payment of the caller's sales unit: ``answer(payment)`` is the JSON body."""
    unit = call.unit()
    rate_limits.check(call, operation, call.request.headers.get(SUBSCRIPTION_HEADER, "").strip(), reference)
    reference = _path_reference(reference)
    with call.state.transaction():
        return json_response(answer(call.state.own_payment(unit.msn, reference)))


def get_payment(call, reference):
    return _read_payment(call, "get", reference, payments.payment_json)


def get_events(call, reference):
    return _read_payment(call, "events", reference, payments.events_json)


def _modify_payment(call, reference, operation, read_request, apply, required=True):
    """capture, cancel and refund: an idempotent POST on a payment of the caller's sales unit, answered with
    a ModificationResponse. ``read_request()`` checks the body (before the payment is looked up);
    ``apply(unit, payment, request, key, now)`` makes the change and returns its event."""
    unit = call.unit()
    check_system_headers(call)
    rate_limits.check(call, operation, unit.msn, reference)
    reference = _path_reference(reference)

    def produce(now, key):
        request = read_request()
        payment = call.state.own_payment(unit.msn, reference)
        event = apply(unit, payment, request, key, now)
        return json_response(payments.modification_json(call.state, payment, event))

    return _idempotent(call, unit, operation, reference, produce, required=required)


@answers_faults
def capture(call, reference):
    def capture_amount(unit, payment, amount, key, now):
        value, currency = amount
        return payments.capture(call.state, unit, payment, value, currency, key, now)

    return _modify_payment(call, reference, "capture", lambda: validation.modification(call.json_body()),
                           capture_amount)


@answers_faults
def cancel(call, reference):
    def cancel_payment(unit, payment, transaction_only, key, now):
        return payments.cancel(call.state, payment, transaction_only, key, now)

    return _modify_payment(call, reference, "cancel",
                           lambda: validation.cancel_request(call.json_body(required=False)), cancel_payment,
                           required=call.settings.cancel_requires_idempotency_key)


@answers_faults
def refund(call, reference):
    def refund_amount(unit, payment, amount, key, now):
        value, currency = amount
        return payments.refund(call.state, payment, value, currency, key, now)

    return _modify_payment(call, reference, "refund", lambda: validation.modification(call.json_body()),
                           refund_amount)


def force_approve(call, reference):
    """Test environment only (API.md 7.7): approve as the given customer, or with the token of the
    create answer's redirectUrl. Refusals: 10010 "Approve failed" (a payment that is not CREATED, a
    customer other than the one it was sent to, an unknown customer, under minimumUserAge, a wrong
    token, a special test amount that fails, e.g. 151 "insufficient funds (test amount 151)" in ``detail``).
    The test amount 201 answers 200 but leaves the payment CREATED for an hour, then ABORTED. [Unconfirmed]
    whether ePayment's force approve applies the special amounts (API.md 15 point 13; special_amounts.py),
    and the emulator does not require a first manual approval per test user."""
    unit = call.unit()
    reference = _path_reference(reference)
    kind, first, second = validation.force_approve_request(call.json_body())
    with call.state.transaction() as now:
        payment = call.state.own_payment(unit.msn, reference)
        phone_number = None
        if kind == "token":
            if first != payment.token:
                raise coded("10010", "The token does not belong to this payment")
        else:
            try:
                customer, _ = payments.resolve_customer(call.state, unit, first, second, now)
            except ApiError as error:
                raise coded("10010", f"Approve failed: {error.detail}") from None
            phone_number = customer.phone_number
        try:
            payments.approve(call.state, payment, phone_number, now)
        except payments.Refusal as refusal:
            raise coded("10010", f"Approve failed: {refusal}") from None
    return empty_response(200)


def rules():
    return [
        Rule(BASE + "/payments", methods=["POST"], endpoint=create_payment),
        Rule(BASE + "/payments/<reference>", methods=["GET"], endpoint=get_payment),
        Rule(BASE + "/payments/<reference>/events", methods=["GET"], endpoint=get_events),
        Rule(BASE + "/payments/<reference>/capture", methods=["POST"], endpoint=capture),
        Rule(BASE + "/payments/<reference>/cancel", methods=["POST"], endpoint=cancel),
        Rule(BASE + "/payments/<reference>/refund", methods=["POST"], endpoint=refund),
        Rule(BASE + "/test/payments/<reference>/approve", methods=["POST"], endpoint=force_approve),
    ]
