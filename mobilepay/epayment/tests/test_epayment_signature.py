"""Webhook signatures (ePayment API.md 10.5): the official test vector, and every way a forgery fails."""

from datetime import datetime, timedelta, timezone

import pytest

from mobilepay.epayment import signature
from mobilepay.epayment.schemas import CheckedInEvent, EventName, PaymentWebhookEvent
from mobilepay.epayment.signature import SignatureError, verify
from mobilepay.epayment.webhook_events import WebhookRejected, parse_delivery, parse_payload

SECRET = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
URL = "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
BODY = b'{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}'
SENT = datetime(2023, 3, 30, 8, 38, 32, tzinfo=timezone.utc)
OFFICIAL_HEADERS = {
    "x-ms-date": "Thu, 30 Mar 2023 08:38:32 GMT",
    "x-ms-content-sha256": "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=",
    "Authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
    "&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=",
    "Host": "webhook.site",
}
SOON_AFTER = SENT + timedelta(seconds=5)


def test_the_official_test_vector_is_reproduced():
    assert signature.content_hash(BODY) == OFFICIAL_HEADERS["x-ms-content-sha256"]
    assert signature.string_to_sign(URL, OFFICIAL_HEADERS["x-ms-date"], OFFICIAL_HEADERS["x-ms-content-sha256"]) == (
        "POST\n/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63\nThu, 30 Mar 2023 08:38:32 GMT;webhook.site;"
        "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
    )
    assert signature.sign(SECRET, URL, BODY, SENT) == OFFICIAL_HEADERS
    verify(SECRET, URL, OFFICIAL_HEADERS, BODY, now=SOON_AFTER)


def test_header_names_are_case_insensitive():
    verify(SECRET, URL, {k.upper(): v for k, v in OFFICIAL_HEADERS.items()}, BODY, now=SOON_AFTER)


@pytest.mark.parametrize(
    "secret, url, headers, body, reason",
    [
        (SECRET, URL, OFFICIAL_HEADERS, BODY.replace(b"hello", b"HELLO"), "body does not match"),
        ("another secret", URL, OFFICIAL_HEADERS, BODY, "signature does not match"),
        (SECRET, URL + "x", OFFICIAL_HEADERS, BODY, "signature does not match"),
        (SECRET, "https://other.example" + URL[len("https://webhook.site"):], OFFICIAL_HEADERS, BODY,
         "signature does not match"),
        (SECRET, URL, dict(OFFICIAL_HEADERS, **{"x-ms-date": "Thu, 30 Mar 2023 08:38:33 GMT"}), BODY,
         "signature does not match"),
        (SECRET, URL, {k: v for k, v in OFFICIAL_HEADERS.items() if k != "Authorization"}, BODY, "lacks"),
        ("", URL, OFFICIAL_HEADERS, BODY, "no webhook secret"),
    ],
    ids=["tampered-body", "wrong-secret", "other-path", "other-host", "other-date", "unsigned", "no-secret"],
)
def test_forgeries_are_refused(secret, url, headers, body, reason):
    with pytest.raises(SignatureError, match=reason):
        verify(secret, url, headers, body, now=SOON_AFTER)


def test_a_body_hash_that_matches_a_tampered_body_still_needs_the_secret():
    forged_body = b'{"reference":"odoo-x","name":"CAPTURED"}'
    forged = dict(OFFICIAL_HEADERS, **{"x-ms-content-sha256": signature.content_hash(forged_body)})
    with pytest.raises(SignatureError, match="signature does not match"):
        verify(SECRET, URL, forged, forged_body, now=SOON_AFTER)


def test_stale_and_future_dates_are_refused_but_retries_within_a_week_are_not():
    verify(SECRET, URL, OFFICIAL_HEADERS, BODY, now=SENT + timedelta(days=6))  # a retry may keep the first date
    with pytest.raises(SignatureError, match="older"):
        verify(SECRET, URL, OFFICIAL_HEADERS, BODY, now=SENT + timedelta(days=8))
    with pytest.raises(SignatureError, match="future"):
        verify(SECRET, URL, OFFICIAL_HEADERS, BODY, now=SENT - timedelta(hours=1))


def test_a_signature_error_never_shows_the_secret():
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, URL, dict(OFFICIAL_HEADERS, Authorization="HMAC-SHA256 x"), BODY, now=SOON_AFTER)
    assert SECRET not in str(caught.value)
    assert "agAiSy" not in str(caught.value)


def test_the_registered_url_counts_not_what_a_proxy_forwards():
    """Signed for the public URL; Odoo behind a proxy sees another Host: verification uses the registered URL."""
    public = "https://shop.example.com/pos_mobilepay/vipps/webhook/1?db=shop"
    headers = signature.sign("s3cret", public, BODY, SENT)
    headers["Host"] = "127.0.0.1:8069"
    verify("s3cret", public, headers, BODY, now=SOON_AFTER)
    assert signature.string_to_sign(public, "d", "h").split("\n")[1] == "/pos_mobilepay/vipps/webhook/1?db=shop"


def test_parse_delivery_tries_each_registration_secret():
    body = (b'{"msn":"123456","reference":"odoo-1-0001","pspReference":"p1","name":"AUTHORIZED",'
            b'"amount":{"currency":"DKK","value":12550},"timestamp":"2026-01-19T16:26:32.099Z","success":true,'
            b'"captureGuaranteedUntil":"2026-02-02T16:26:32Z","someFutureField":1}')
    headers = signature.sign("second", URL, body)
    event = parse_delivery(body, headers, {URL + "/old": "first", URL: "second"})
    assert isinstance(event, PaymentWebhookEvent)
    assert (event.reference, event.name, event.amount.value, event.idempotency_key) == (
        "odoo-1-0001", EventName.AUTHORIZED, 12550, None)
    with pytest.raises(WebhookRejected):
        parse_delivery(body, headers, {URL: "first"})
    with pytest.raises(WebhookRejected):
        parse_delivery(body, headers, {})


def test_checkin_payloads_old_and_new_field_names():
    new = parse_payload(b'{"customerToken":"tok","merchantQrId":"till-1","msn":"12345",'
                        b'"initiatedAt":"2023-10-06T10:45:40.3061965Z"}')
    old = parse_payload(b'{"customerToken":"tok","merchantQrId":"till-1","merchantSerialNumber":"12345",'
                        b'"initiatedAt":"2023-10-06T10:45:40.3061965Z"}')
    assert isinstance(new, CheckedInEvent) and isinstance(old, CheckedInEvent)
    assert (new.msn, old.msn, old.merchant_qr_id) == ("12345", "12345", "till-1")
    assert "tok" not in repr(new)  # the token addresses a customer's app: never in logs


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"name":"AUTHORIZED"}', b'{"customerToken":"x"}'])
def test_malformed_payloads_are_rejected(body):
    with pytest.raises(WebhookRejected):
        parse_payload(body)


def test_an_oversized_delivery_is_rejected_before_anything_else():
    with pytest.raises(WebhookRejected, match="too large"):
        parse_delivery(b"x" * (64 * 1024 + 1), {}, {URL: SECRET})


def test_a_default_port_in_the_registered_url_does_not_break_the_signature():
    """Vipps MobilePay calls https://shop.example/... and signs the Host it sends: no ``:443``. A public
    URL written with the default port must verify the same, and is stored without it."""
    written = "https://Shop.Example:443/pos_mobilepay/vipps/webhook/1"
    sent_as = "https://shop.example/pos_mobilepay/vipps/webhook/1"
    assert signature.normalized_url(written) == sent_as
    assert signature.normalized_url("http://shop.example:80/") == "http://shop.example"
    assert signature.normalized_url("https://shop.example:8443/odoo/") == "https://shop.example:8443/odoo"
    headers = signature.sign("s3cret", sent_as, BODY, SENT)
    assert headers["Host"] == "shop.example"
    verify("s3cret", written, headers, BODY, now=SOON_AFTER)
    with pytest.raises(ValueError):
        signature.normalized_url("shop.example/webhook")


def test_two_registrations_of_one_url_each_verify_with_their_own_secret():
    """Payment events and check-ins are registered apart (one check-in registration per sales unit):
    one URL, two secrets."""
    body = b'{"customerToken":"abc","merchantQrId":"till-1","msn":"123456","initiatedAt":"2026-01-19T16:26:32Z"}'
    pairs = [(URL, "payments-secret"), (URL, "checkins-secret")]
    for secret in ("payments-secret", "checkins-secret"):
        assert isinstance(parse_delivery(body, signature.sign(secret, URL, body), pairs), CheckedInEvent)
    with pytest.raises(WebhookRejected):
        parse_delivery(body, signature.sign("other", URL, body), pairs)
