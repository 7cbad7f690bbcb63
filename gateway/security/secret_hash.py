"""How client secrets are stored: a fast keyed hash now, Argon2id for registries written before.

Client secrets are machine credentials that ``lgsp clients`` generates with 256 random bits
(:func:`new_secret`). Guessing one is hopeless however fast the hash, so a slow password hash buys
nothing and costs 150-400 ms of CPU per token request (docs/decisions/security.md). The stored form
is ``hmac-sha256$<salt>$<mac>``: HMAC-SHA-256 of the secret under a random per-record salt,
compared in constant time, a few microseconds.

Registries written before keep their Argon2id hashes (``$argon2id$…``) and still verify; they are
slow, so callers run :func:`verify_slow` off the event loop (``gateway.security.authn``), and
``lgsp clients rotate-secret`` replaces them with the fast form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "FAST_PREFIX",
    "hash_secret",
    "is_fast",
    "legacy_hash",
    "new_secret",
    "verify_fast",
    "verify_secret",
    "verify_slow",
]

FAST_PREFIX = "hmac-sha256$"
# Argon2id with the library's defaults (RFC 9106 low-memory profile), only for old registries.
_ARGON2 = PasswordHasher()


def new_secret() -> str:
    """A client secret of 256 random bits (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(salt: bytes, secret: str) -> bytes:
    return hmac.digest(salt, secret.encode(), hashlib.sha256)


def hash_secret(secret: str) -> str:
    """The stored form of a new secret: ``hmac-sha256$<salt>$<mac>`` (fast, salted)."""
    salt = secrets.token_bytes(16)
    return f"{FAST_PREFIX}{_b64(salt)}${_b64(_mac(salt, secret))}"


def legacy_hash(secret: str) -> str:
    """An Argon2id hash, as registries before 2026-11-30 stored secrets (tests and benches)."""
    return _ARGON2.hash(secret)


def is_fast(stored: str) -> bool:
    return stored.startswith(FAST_PREFIX)


def verify_fast(stored: str, secret: str) -> bool:
    """Check ``secret`` against a ``hmac-sha256$`` form in constant time (False if malformed)."""
    _, _, rest = stored.partition(FAST_PREFIX)
    salt_text, sep, mac_text = rest.partition("$")
    if not sep:
        return False
    try:
        salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
    except ValueError:
        return False
    return hmac.compare_digest(_b64(_mac(salt, secret)), mac_text)


def verify_slow(stored: str, secret: str) -> bool:
    """Check ``secret`` against an Argon2id hash: 150-400 ms of CPU, never on the event loop."""
    try:
        return _ARGON2.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def verify_secret(stored: str, secret: str) -> bool:
    """Either form, synchronously (the CLI and tests; the gateway uses the async authenticator)."""
    return verify_fast(stored, secret) if is_fast(stored) else verify_slow(stored, secret)
