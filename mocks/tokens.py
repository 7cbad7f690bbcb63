"""The NGSP token service (WSO2 API Manager's client-credentials grant), simulated.

Tokens are random UUIDs kept with their expiry on an injectable monotonic clock, so tests can
expire them without sleeping. The admin API revokes one token or expires them all.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TokenError", "TokenStore", "parse_basic"]

_PRUNE_ABOVE = 10_000
_MISSING = (
    "Missing Credentials. Make sure your API invocation call has a header: "
    "'Authorization : Bearer ACCESS_TOKEN'"
)


class TokenError(Exception):
    """The token request is refused: ``error`` is the OAuth2 error code, ``status`` the HTTP one."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True, slots=True)
class Credentials:
    key: str
    secret: str


def parse_basic(header: str | None) -> Credentials | None:
    """Consumer key and secret from an ``Authorization: Basic`` header, or None."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return Credentials(key, secret) if sep else None


class TokenStore:
    """Issued tokens and their expiry; ``lifetime_s`` may change at run time."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        lifetime_s: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = consumer_key
        self._secret = consumer_secret
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self, authorization: str | None, grant_type: str | None) -> tuple[str, int]:
        """A new token and its lifetime; raises :class:`TokenError` like WSO2 does."""
        credentials = parse_basic(authorization)
        if credentials is None or not self._known(credentials):
            raise TokenError(401, "invalid_client", "Client Authentication failed.")
        if grant_type != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", "Unsupported grant_type value")
        self._prune()
        token = str(uuid.uuid4())
        self._expiry[token] = self.clock() + self.lifetime_s
        return token, self.lifetime_s

    def _known(self, credentials: Credentials) -> bool:
        return secrets.compare_digest(credentials.key, self._key) and secrets.compare_digest(
            credentials.secret, self._secret
        )

    def _prune(self) -> None:
        if len(self._expiry) > _PRUNE_ABOVE:
            now = self.clock()
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}

    def check(self, authorization: str | None) -> str | None:
        """None when the bearer token is valid, else why not (for the 401 description)."""
        if not authorization or authorization[:7].lower() != "bearer ":
            return _MISSING
        expiry = self._expiry.get(authorization[7:].strip())
        if expiry is None:
            return "Access failure for API: invalid or revoked access token"
        if self.clock() >= expiry:
            return "Access failure for API: the access token has expired"
        return None

    def revoke(self, token: str) -> bool:
        return self._expiry.pop(token, None) is not None

    def expire_all(self) -> int:
        """Expire every token now (they stay known, so the 401 says 'expired'); returns how many."""
        now = self.clock()
        live = [t for t, e in self._expiry.items() if e > now]
        for token in live:
            self._expiry[token] = now
        return len(live)

    def active(self) -> int:
        now = self.clock()
        return sum(1 for e in self._expiry.values() if e > now)
