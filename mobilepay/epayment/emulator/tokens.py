"""Access tokens of the emulated ``POST /accesstoken/get`` (API.md 3.2).

JWT-shaped (so they look like the real ones) but signed with HS256 and a random secret of this
emulator; stateless, they name the sales unit (client id and MSN) and expire by the emulator
clock. Several valid tokens may coexist, as in the real service.
"""

import base64
import hashlib
import hmac
import json
import os
import uuid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class InvalidToken(Exception):
    pass


class AccessTokens:
    def __init__(self, clock, secret: bytes = None):
        self.clock = clock
        self._secret = secret or os.urandom(32)

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest())

    def issue(self, client_id: str, msn: str, issuer: str, expires_in: int):
        """(token, not_before, expires_on) with epoch seconds."""
        now = int(self.clock.now().timestamp())
        claims = {"iss": issuer, "aud": "00000002-0000-0000-c000-000000000000", "client_id": client_id,
                  "msn": msn, "iat": now, "nbf": now, "exp": now + int(expires_in), "jti": str(uuid.uuid4())}
        header = {"alg": "HS256", "typ": "JWT", "kid": "vipps-epayment-emulator"}
        signing_input = _b64(_compact(header)) + "." + _b64(_compact(claims))
        return signing_input + "." + self._sign(signing_input), now, claims["exp"]

    def verify(self, token: str) -> dict:
        """The token's claims; InvalidToken when it is malformed, forged or expired."""
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
        if not isinstance(claims, dict) or "client_id" not in claims or "msn" not in claims:
            raise InvalidToken("malformed claims")
        if self.clock.now().timestamp() >= claims.get("exp", 0):
            raise InvalidToken("token expired")
        return claims
