"""Signed checkpoints of the chains, kept in an append-only file outside the audit database.

A chain proves that nothing was changed or removed *between* its records, not that its newest
records are all there: cutting the tail, or deleting a whole chain, leaves a chain that verifies.
So each writer signs its head (writer id, ``seq``, head MAC, time) with the Ed25519 signing key
every N records, every T seconds and at shutdown, and appends it as one JSON line to
``checkpoints.jsonl`` in the checkpoint directory (``LGSP_AUDIT_CHECKPOINT_DIR``) — somewhere the
database owner cannot rewrite unseen: another disk, another owner, or a directory shipped to
write-once storage. A purge appends a ``purge`` checkpoint naming the last ``seq`` it removed, so a
purge is told apart from a truncation. ``lgsp audit verify`` compares each chain with its
checkpoints (:mod:`gateway.audit._completeness`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from gateway.audit._errors import AuditUnavailable
from gateway.audit._model import epoch_micros, utc_iso
from gateway.audit._signing import CheckpointSigner, TrustedKeys
from gateway.dsn import DsnError, sqlite_path

__all__ = [
    "CHECKPOINT_FILE",
    "Checkpoint",
    "CheckpointKind",
    "CheckpointLog",
    "default_checkpoint_dir",
]

CHECKPOINT_FILE = "checkpoints.jsonl"
_FORMAT = "lgsp-audit-checkpoint/v1"


class CheckpointKind(StrEnum):
    HEAD = "head"  # the writer's chain reached this record
    PURGE = "purge"  # records up to this one were purged on purpose (archived first)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement about a writer's chain. For ``purge``, ``seq``/``head_hash`` are
    those of the last purged record and ``purged`` how many records went."""

    writer_id: str
    seq: int
    head_hash: str
    signed_at: datetime
    kind: CheckpointKind = CheckpointKind.HEAD
    purged: int = 0
    key_id: str = ""
    signature: str = ""

    def message(self) -> bytes:
        """The exact bytes signed: every field but the signature, in a fixed order."""
        values = [
            _FORMAT,
            self.writer_id,
            self.seq,
            self.head_hash,
            epoch_micros(self.signed_at),
            self.kind.value,
            self.purged,
            self.key_id,
        ]
        return orjson.dumps(values)

    def signed_by(self, signer: CheckpointSigner) -> Checkpoint:
        keyed = replace(self, key_id=signer.key_id)
        return replace(keyed, signature=signer.sign(keyed.message()))

    def verifies(self, trusted: TrustedKeys) -> bool:
        return trusted.verify(self.key_id, self.signature, self.message())

    def to_json(self) -> dict[str, Any]:
        return {
            "writer_id": self.writer_id,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "signed_at": utc_iso(self.signed_at),
            "kind": self.kind.value,
            "purged": self.purged,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Checkpoint:
        return cls(
            writer_id=str(value["writer_id"]),
            seq=int(value["seq"]),
            head_hash=str(value["head_hash"]),
            signed_at=datetime.fromisoformat(value["signed_at"]),
            kind=CheckpointKind(value["kind"]),
            purged=int(value.get("purged", 0)),
            key_id=str(value["key_id"]),
            signature=str(value["signature"]),
        )


@dataclass(frozen=True, slots=True)
class CheckpointFile:
    """A checkpoint file as read: its checkpoints, and the numbers of lines that did not parse."""

    checkpoints: tuple[Checkpoint, ...]
    unreadable_lines: tuple[int, ...]


class CheckpointLog:
    """The append-only checkpoint file in a directory (blocking I/O: call it in a thread)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / CHECKPOINT_FILE

    def __repr__(self) -> str:
        return f"CheckpointLog({str(self.directory)!r})"

    def append(self, checkpoint: Checkpoint) -> None:
        """Add one line with O_APPEND and fsync it: lines are only ever added, never rewritten."""
        line = orjson.dumps(checkpoint.to_json(), option=orjson.OPT_APPEND_NEWLINE)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            detail = f"cannot append to {self.path}: {exc.strerror}"
            raise AuditUnavailable("store_error", detail) from exc

    def read(self) -> CheckpointFile:
        """Every checkpoint in the file (none if it does not exist)."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return CheckpointFile((), ())
        except OSError as exc:
            detail = f"cannot read {self.path}: {exc.strerror}"
            raise AuditUnavailable("store_error", detail) from exc
        found: list[Checkpoint] = []
        bad: list[int] = []
        for number, line in enumerate(lines, start=1):
            try:
                found.append(Checkpoint.from_json(orjson.loads(line)))
            except (ValueError, KeyError, TypeError):
                bad.append(number)
        return CheckpointFile(tuple(found), tuple(bad))


def default_checkpoint_dir(dsn: str) -> Path:
    """Beside the SQLite audit file, else ``var/audit-checkpoints`` (configure it in production)."""
    if dsn.partition(":")[0].lower() == "sqlite":
        try:
            return sqlite_path(dsn, "audit").parent / "audit-checkpoints"
        except DsnError:
            pass
    return Path("var/audit-checkpoints")
