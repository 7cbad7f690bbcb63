"""The audit trail: a durable, tamper-evident, queryable record of every personal-data look-up.

Decree 13/2023/NĐ-CP requires a log of every processing of personal data, and a look-up that leaves
no record must not happen. So the request path hands an :class:`AuditEvent` to the process's one
:class:`AuditTrail` and answers only once :meth:`AuditTrail.record` returns, which is after the
record is committed (group commit, one writer); when the trail cannot record, it raises
:class:`AuditUnavailable` and the gateway answers 503. Records hold a keyed hash and a masked form
of every number the answer was about (the number asked, the person's other number, household
members, relatives named in the record), never a number, and chain to their writer's previous
record by a MAC.

:class:`AuditReader` serves auditors and citizens: search, subject look-up (who looked me up),
CSV / JSON Lines export, chain verification and retention purge. Signed checkpoints of each chain
head (Ed25519, in an append-only file outside the database) let ``verify`` prove completeness.
Two stores sit behind one interface: SQLite (``sqlite:///var/audit.sqlite3``, the default) and
PostgreSQL (production).
"""

from __future__ import annotations

from typing import Unpack

from gateway.audit._checkpoint import (
    Checkpoint,
    CheckpointKind,
    CheckpointLog,
    default_checkpoint_dir,
)
from gateway.audit._checkpointer import Checkpointer
from gateway.audit._completeness import ChainCompleteness, Gap, GapKind
from gateway.audit._disabled import DisabledAuditTrail, NullStore, is_disabled_dsn
from gateway.audit._errors import (
    AuditConfigError,
    AuditError,
    AuditQueryError,
    AuditUnavailable,
)
from gateway.audit._evidence import EvidenceReport, verify_evidence
from gateway.audit._export import ExportFormat
from gateway.audit._migrations import LATEST_VERSION
from gateway.audit._model import (
    ROLES,
    Anchor,
    AuditEvent,
    AuditOutcome,
    AuditRecord,
    Disclosure,
    RecordSubject,
)
from gateway.audit._purge import PurgeReport
from gateway.audit._query import MAX_CURSOR, AuditPage, AuditQuery
from gateway.audit._reader import AuditReader
from gateway.audit._seal import AuditKeys
from gateway.audit._signing import (
    CheckpointSigner,
    TrustedKeys,
    dev_signer,
    load_signer,
    new_signing_key,
)
from gateway.audit._store import AuditStore, open_store
from gateway.audit._subjects import HISTORY_FIELD, SUBJECT_VIEW, SubjectEntry, SubjectReport
from gateway.audit._trail import Announcement, AuditStats, AuditTrail, TrailOptions
from gateway.audit._verify import BreakReason, ChainBreak, ChainReport, VerifyReport

__all__ = [
    "HISTORY_FIELD",
    "LATEST_VERSION",
    "MAX_CURSOR",
    "ROLES",
    "SUBJECT_VIEW",
    "Anchor",
    "Announcement",
    "AuditConfigError",
    "AuditError",
    "AuditEvent",
    "AuditKeys",
    "AuditOutcome",
    "AuditPage",
    "AuditQuery",
    "AuditQueryError",
    "AuditReader",
    "AuditRecord",
    "AuditStats",
    "AuditStore",
    "AuditTrail",
    "AuditUnavailable",
    "BreakReason",
    "ChainBreak",
    "ChainCompleteness",
    "ChainReport",
    "Checkpoint",
    "CheckpointKind",
    "CheckpointLog",
    "CheckpointSigner",
    "Checkpointer",
    "DisabledAuditTrail",
    "Disclosure",
    "EvidenceReport",
    "ExportFormat",
    "Gap",
    "GapKind",
    "PurgeReport",
    "RecordSubject",
    "SubjectEntry",
    "SubjectReport",
    "TrailOptions",
    "TrustedKeys",
    "VerifyReport",
    "default_checkpoint_dir",
    "dev_signer",
    "is_disabled_dsn",
    "load_signer",
    "new_signing_key",
    "open_audit_reader",
    "open_audit_trail",
    "open_store",
    "verify_evidence",
]


def open_audit_trail(
    dsn: str, *, hmac_key: bytes, writer_id: str, **options: Unpack[TrailOptions]
) -> AuditTrail:
    """The process's audit writer for the store at ``dsn`` (not started: ``await start()``).

    ``none:`` gives a trail that records nothing (benchmarks; refused in production).
    """
    if is_disabled_dsn(dsn):
        return DisabledAuditTrail(writer_id=writer_id)
    return AuditTrail(open_store(dsn), AuditKeys(hmac_key), writer_id=writer_id, **options)


def open_audit_reader(
    dsn: str,
    *,
    hmac_key: bytes,
    checkpoints: CheckpointLog | None = None,
    signer: CheckpointSigner | None = None,
    trusted: TrustedKeys | None = None,
) -> AuditReader:
    """A reader for the store at ``dsn`` (not opened: ``async with`` it); with a checkpoint log,
    ``verify`` checks completeness and ``purge`` signs what it removes."""
    store = NullStore() if is_disabled_dsn(dsn) else open_store(dsn)
    return AuditReader(
        store, AuditKeys(hmac_key), checkpoints=checkpoints, signer=signer, trusted=trusted
    )
