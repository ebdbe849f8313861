"""JWT-shaped access tokens signed with HS256 and a random secret of the emulator.

They look like the real ones but are stateless: nothing is stored, so they survive ``reset()``,
and they expire by the emulator clock. Each emulator's issuer decides the claims.
"""

import base64
import hashlib
import hmac
import json
import os


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class InvalidToken(Exception):
    pass


class SignedTokens:
    """Signs and checks tokens; a token is valid while its ``exp`` claim is in the future."""

    # The ``kid`` of the token header.
    key_id = "emulator"
    # Claims a token must carry to be accepted.
    required_claims = ("client_id",)

    def __init__(self, clock, secret: bytes = None):
        self.clock = clock
        self._secret = secret or os.urandom(32)

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest())

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _encode(self, claims: dict) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": self.key_id}
        signing_input = _b64(_compact(header)) + "." + _b64(_compact(claims))
        return signing_input + "." + self._sign(signing_input)

    def verify(self, token: str) -> dict:
        """The token's claims; InvalidToken if it is malformed, forged or expired."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("malformed token")
        signing_input = parts[0] + "." + parts[1]
        if not hmac.compare_digest(self._sign(signing_input), parts[2]):
            raise InvalidToken("bad signature")
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            raise InvalidToken("malformed claims") from None
        if not isinstance(claims, dict) or any(name not in claims for name in self.required_claims):
            raise InvalidToken("malformed claims")
        if self.clock.now().timestamp() >= claims.get("exp", 0):
            raise InvalidToken("token expired")
        return claims
