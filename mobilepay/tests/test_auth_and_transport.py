"""Token cache and renewal, and the retry policy's backoff."""

import pytest
from urllib3.exceptions import ConnectTimeoutError

from mobilepay.transport import JitterRetry, retry_policy
from mobilepay.v10.auth import TokenProvider, clear_token_cache


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def tokens(emulator):
    clear_token_cache()
    clock = FakeClock()
    provider = TokenProvider(
        f"{emulator.base_url}/integrator-authentication/connect/token",
        emulator.demo.client_id,
        emulator.demo.client_secret,
        clock=clock,
    )
    return provider, clock


def token_requests(emulator):
    return [e for e in emulator.requests_log if e[1].endswith("/connect/token")]


def test_token_is_cached_until_shortly_before_expiry(tokens, emulator):
    provider, clock = tokens
    first = provider.token()
    clock.now += 3700 - 61  # 61 s of life left: still good
    assert provider.token() == first
    assert len(token_requests(emulator)) == 1
    clock.now += 2  # 59 s left: renewed before it expires
    assert provider.token() != first
    assert len(token_requests(emulator)) == 2


def test_cache_is_shared_by_providers_with_the_same_credentials(tokens, emulator):
    provider, clock = tokens
    first = provider.token()
    twin = TokenProvider(provider.token_url, emulator.demo.client_id, emulator.demo.client_secret, clock=clock)
    assert twin.token() == first
    assert len(token_requests(emulator)) == 1


def test_invalidate_only_forgets_the_named_token(tokens, emulator):
    provider, _ = tokens
    first = provider.token()
    provider.invalidate("some-other-token")
    assert provider.token() == first
    provider.invalidate(first)
    assert provider.token() != first


def test_secret_is_not_in_repr(tokens, emulator):
    provider, _ = tokens
    assert emulator.demo.client_secret not in repr(provider)


def test_backoff_is_exponential_jittered_and_capped(monkeypatch):
    retry = retry_policy(max_retries=5, backoff_factor=0.2)
    monkeypatch.setattr(JitterRetry, "jitter_random", staticmethod(lambda: 1.0))
    ceilings = []
    for _ in range(5):
        retry = retry.increment(method="POST", url="/x", error=ConnectTimeoutError())
        ceilings.append(retry.get_backoff_time())
    # urllib3 retries the first failure at once, then doubles the wait, capped at 2 s.
    assert ceilings == pytest.approx([0, 0.4, 0.8, 1.6, 2.0])
    monkeypatch.setattr(JitterRetry, "jitter_random", staticmethod(lambda: 0.25))
    assert retry.get_backoff_time() == pytest.approx(0.5)


def test_retry_limits():
    with pytest.raises(ValueError):
        retry_policy(max_retries=6)
    policy = retry_policy(max_retries=2)
    assert policy.total == 2 and policy.allowed_methods is None
    assert 503 in policy.status_forcelist and 409 not in policy.status_forcelist


@pytest.mark.parametrize(
    ("status", "body", "error_class", "words"),
    [
        (401, '["not", "an", "object"]', "MobilePayAuthenticationError", "credentials were refused"),
        (503, '{"error": "down"}', "MobilePayServerError", "authentication service failed"),
        (501, "", "MobilePayServerError", "authentication service failed"),
        (403, '{"error": "forbidden"}', "MobilePayForbidden", "token request was refused (forbidden)"),
    ],
)
def test_token_refusals_are_typed_and_say_what_happened(emulator, status, body, error_class, words):
    from mobilepay import errors

    clear_token_cache()
    emulator.faults.add(method="POST", path="/integrator-authentication/connect/token", kind="body", status=status,
                        body=body, times=None)
    provider = TokenProvider(
        emulator.base_url + "/integrator-authentication/connect/token",
        emulator.demo.client_id,
        emulator.demo.client_secret,
    )
    with pytest.raises(getattr(errors, error_class)) as caught:
        provider.token()
    assert words in str(caught.value)
    assert emulator.demo.client_secret not in str(caught.value)
