"""The checkpoint signing key (Ed25519) and the public keys a verifier trusts.

The HMAC key seals the chain, but whoever holds it (the gateway's host, anyone with its
configuration) can also re-chain a forged tail. The signing key is a second, asymmetric secret:
the gateway signs its chain heads with it, and a verifier needs only the *public* key, so an
auditor or a court can check an export without being able to forge one.

Text forms: a private key is the base64 of its 32-byte seed (``LGSP_AUDIT_SIGNING_KEY``, or a
file holding it); a public key is the base64 of its 32 raw bytes. A key's id is the first 16 hex
digits of the SHA-256 of its public key; every checkpoint names the id of the key that signed
it, so after a rotation the old public keys (``LGSP_AUDIT_TRUSTED_KEYS``) keep verifying the
checkpoints they signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.audit._errors import AuditConfigError

__all__ = [
    "CheckpointSigner",
    "TrustedKeys",
    "dev_signer",
    "key_id",
    "load_signer",
    "new_signing_key",
]


def _public_bytes(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_public_bytes(public)).hexdigest()[:16]


def _decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuditConfigError(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise AuditConfigError(f"{what} must be 32 bytes (base64 of an Ed25519 key)")
    return raw


class CheckpointSigner:
    """Signs checkpoints; knows its own public key and id. ``repr`` never shows the key."""

    __slots__ = ("_private", "key_id", "public_key")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_key = private.public_key()
        self.key_id = key_id(self.public_key)

    def __repr__(self) -> str:
        return f"CheckpointSigner(key_id={self.key_id!r})"

    @classmethod
    def from_text(cls, text: str) -> CheckpointSigner:
        seed = _decode(text, "the audit signing key")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode()

    def public_text(self) -> str:
        return base64.b64encode(_public_bytes(self.public_key)).decode()


class TrustedKeys:
    """The public keys whose signatures a verifier accepts, by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self._by_id = {key_id(key): key for key in keys}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TrustedKeys:
        keys = [
            Ed25519PublicKey.from_public_bytes(_decode(t, "a trusted audit public key"))
            for t in texts
            if t.strip()
        ]
        return cls(keys)

    def __bool__(self) -> bool:
        return bool(self._by_id)

    def __contains__(self, kid: str) -> bool:
        return kid in self._by_id

    def with_key(self, public: Ed25519PublicKey) -> TrustedKeys:
        return TrustedKeys([*self._by_id.values(), public])

    def verify(self, kid: str, signature: str, message: bytes) -> bool:
        """True if the key ``kid`` is trusted and signed ``message``."""
        public = self._by_id.get(kid)
        if public is None:
            return False
        try:
            public.verify(base64.b64decode(signature), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def new_signing_key() -> str:
    """A fresh private key in its text form (``lgsp audit keygen``)."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return base64.b64encode(seed).decode()


def dev_signer(dev_secret: str) -> CheckpointSigner:
    """The development key, derived from the dev HMAC secret: never valid in production."""
    seed = hashlib.sha256(b"lgsp-audit-dev-signing/" + dev_secret.encode()).digest()
    return CheckpointSigner(Ed25519PrivateKey.from_private_bytes(seed))


def load_signer(text: str | None, path: Path | None) -> CheckpointSigner | None:
    """The signer from its text or from a file holding it; None when neither is given."""
    if text:
        return CheckpointSigner.from_text(text)
    if path is not None:
        try:
            return CheckpointSigner.from_text(path.read_text(encoding="ascii"))
        except OSError as exc:
            raise AuditConfigError(f"cannot read the audit signing key file {path}") from exc
    return None
