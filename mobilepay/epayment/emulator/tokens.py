"""Access tokens of the emulated ``POST /accesstoken/get`` (API.md 3.2).

JWT-shaped (so they look like the real ones) but signed with HS256 and a random secret of this
emulator (``emulator_kit.signed_tokens``); stateless, they name the sales unit (client id and MSN)
and expire by the emulator clock. Several valid tokens may coexist, as in the real service.
"""

import uuid

from ...emulator_kit.signed_tokens import InvalidToken, SignedTokens

__all__ = ["AccessTokens", "InvalidToken"]


class AccessTokens(SignedTokens):
    key_id = "vipps-epayment-emulator"
    required_claims = ("client_id", "msn")

    def issue(self, client_id: str, msn: str, issuer: str, expires_in: int):
        """(token, not_before, expires_on) with epoch seconds."""
        now = self._now()
        claims = {"iss": issuer, "aud": "00000002-0000-0000-c000-000000000000", "client_id": client_id,
                  "msn": msn, "iat": now, "nbf": now, "exp": now + int(expires_in), "jti": str(uuid.uuid4())}
        return self._encode(claims), now, claims["exp"]
