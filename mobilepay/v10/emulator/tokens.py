"""Access tokens of the emulated Integrator Authentication service (API.md section 3).

Tokens are JWTs so that they look like the real ones, but they are signed with
HS256 and a random per-emulator secret instead of RS256 (the JWKS document is
therefore empty). They are stateless: they survive ``reset()`` and expire by
the emulator clock (``emulator_kit.signed_tokens``).
"""

import uuid

from ...emulator_kit.signed_tokens import InvalidToken, SignedTokens

__all__ = ["SCOPE", "InvalidToken", "TokenIssuer"]

SCOPE = "integrator_scope"


class TokenIssuer(SignedTokens):
    key_id = "mobilepay-emulator"
    required_claims = ("client_id",)

    def issue(self, client_id: str, issuer: str, expires_in: int, merchant_vat: str = None) -> str:
        now = self._now()
        claims = {
            "iss": issuer,
            "aud": "pos",
            "client_id": client_id,
            "scope": [SCOPE],
            "iat": now,
            "nbf": now,
            "exp": now + int(expires_in),
            "jti": str(uuid.uuid4()),
        }
        if merchant_vat is not None:
            claims["merchant_vat"] = merchant_vat
        return self._encode(claims)
