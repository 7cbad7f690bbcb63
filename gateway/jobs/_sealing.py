"""Per-job keys that make a job's personal data unreadable once the job no longer needs it.

Every job gets two random AES-256-GCM keys, stored only in ``verification_job_keys`` (and held in
memory while a statement uses them):

- the **inputs** key seals a row's details (number, name, birth date, birth year, sex) until the
  row is verified; it is destroyed when the job completes or is cancelled;
- the **results** key seals the number each result line repeats for the portal; it is destroyed
  when the results are erased (``DELETE``, ``lgsp jobs erase``, or retention).

Destroying a key is crypto-shredding: any copy of a sealed value the store cannot overwrite (a
WAL frame, a free page, a PostgreSQL dead tuple, a backup) stays ciphertext nobody can open. Each
sealed value is bound to its job, row and kind (the AEAD's associated data), so a value copied to
another row or job does not open there either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.jobs._errors import JobStoreUnavailable
from gateway.jobs._model import RowInput

__all__ = ["OLD_LAYOUT", "JobKeys", "KeyKind", "new_key"]

OLD_LAYOUT = (
    "the job store has the pre-2026-11-30 layout that kept row details in clear: finish or erase "
    "its jobs, then delete the SQLite file or drop the verification_job_* tables (docs/jobs.md)"
)

_NONCE_BYTES = 12


class KeyKind(StrEnum):
    INPUTS = "inputs"  # destroyed when the job completes or is cancelled
    RESULTS = "results"  # destroyed when the results are erased


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def _aad(job_id: str, ordinal: int, kind: KeyKind) -> bytes:
    return f"{kind.value}\x00{job_id}\x00{ordinal}".encode()


def _seal(key: bytes, aad: bytes, plain: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, aad)


def _open(key: bytes, aad: bytes, sealed: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise JobStoreUnavailable("a sealed job row does not open with its job's key") from exc


@dataclass(frozen=True, slots=True)
class JobKeys:
    """The live keys of one job; a destroyed key is ``None``."""

    job_id: str
    inputs: bytes | None
    results: bytes | None

    def __repr__(self) -> str:  # never print key bytes
        return f"JobKeys(job_id={self.job_id!r})"

    def seal_details(self, row: RowInput) -> bytes:
        details = [row.number, row.full_name, _day(row.birth_date), row.birth_year, row.sex]
        aad = _aad(self.job_id, row.ordinal, KeyKind.INPUTS)
        return _seal(self._key(KeyKind.INPUTS), aad, orjson.dumps(details))

    def open_details(self, ordinal: int, sealed: bytes, attempts: int) -> RowInput:
        aad = _aad(self.job_id, ordinal, KeyKind.INPUTS)
        plain = _open(self._key(KeyKind.INPUTS), aad, sealed)
        number, full_name, birth_date, birth_year, sex = orjson.loads(plain)
        return RowInput(
            ordinal=ordinal,
            number=number,
            full_name=full_name,
            birth_date=date.fromisoformat(birth_date) if birth_date else None,
            birth_year=birth_year,
            sex=sex,
            attempts=attempts,
        )

    def seal_number(self, ordinal: int, number: str) -> bytes:
        aad = _aad(self.job_id, ordinal, KeyKind.RESULTS)
        return _seal(self._key(KeyKind.RESULTS), aad, number.encode())

    def open_number(self, ordinal: int, sealed: bytes) -> str:
        aad = _aad(self.job_id, ordinal, KeyKind.RESULTS)
        return _open(self._key(KeyKind.RESULTS), aad, sealed).decode()

    def _key(self, kind: KeyKind) -> bytes:
        key = self.inputs if kind is KeyKind.INPUTS else self.results
        if key is None:  # only a damaged store keeps rows whose key is gone
            raise JobStoreUnavailable(f"job {self.job_id} has rows but its {kind} key is destroyed")
        return key


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
