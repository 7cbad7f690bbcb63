"""Short-lived signed access tokens (JWT, HS256) that the gateway issues to portal clients.

A token names its client and the client's secret version; on every call the gateway also checks
the registry, so a disabled client or a rotated secret stops working at once. Verified tokens are
kept in a small cache until they expire: a signature check per request is wasted work.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import jwt

__all__ = ["TokenClaims", "TokenError", "TokenIssuer"]

_ISSUER = "lgsp-gateway"
_AUDIENCE = "lgsp-api"


class TokenError(Exception):
    """The token is missing, malformed, badly signed or expired (``code`` says which)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client_id: str
    secret_version: int
    expires_at: int
    token_id: str


class TokenIssuer:
    def __init__(self, signing_key: str, lifetime_s: int, *, cache_size: int = 4096) -> None:
        self._key = signing_key
        self.lifetime_s = lifetime_s
        self._cache: OrderedDict[str, TokenClaims] = OrderedDict()
        self._cache_size = cache_size

    def issue(self, client_id: str, secret_version: int, scope: list[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": _ISSUER,
            "aud": _AUDIENCE,
            "sub": client_id,
            "sv": secret_version,
            "scope": " ".join(sorted(scope)),
            "iat": now,
            "exp": now + self.lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> TokenClaims:
        cached = self._cache.get(token)
        if cached is not None and cached.expires_at > time.time():
            return cached
        claims = self._decode(token)
        self._remember(token, claims)
        return claims

    def _decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=_AUDIENCE,
                issuer=_ISSUER,
                options={"require": ["exp", "sub", "sv", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token_expired", "The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise TokenError("token_invalid", "The access token is not valid.") from exc
        return TokenClaims(
            client_id=str(payload["sub"]),
            secret_version=int(payload["sv"]),
            expires_at=int(payload["exp"]),
            token_id=str(payload["jti"]),
        )

    def _remember(self, token: str, claims: TokenClaims) -> None:
        self._cache[token] = claims
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
