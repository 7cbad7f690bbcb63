"""The audit schema's versions, each step given for SQLite and for PostgreSQL.

Where the two dialects differ only in types, one template serves both.

Deliberately not Alembic: the schema is two tables, and the trail must migrate itself inside its
own store connection at start-up (SQLite in its writer thread, PostgreSQL under an advisory lock)
without SQLAlchemy in the request path. Each store applies the pending steps in one transaction and
records them in ``audit_schema_migrations``. A step is never edited once released: add a new one.
In PostgreSQL statements, ``{schema}`` is the store's quoted schema name.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.audit._errors import AuditConfigError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "pending_migrations"]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_INDEXES = (
    "CREATE INDEX audit_records_time ON {table} (occurred_at)",
    "CREATE INDEX audit_records_subject ON {table} (subject_hmac) WHERE subject_hmac IS NOT NULL",
    "CREATE INDEX audit_records_client ON {table} (client_id, occurred_at)",
    "CREATE INDEX audit_records_officer ON {table} (officer_id, occurred_at)",
)
# No index on request_id: a random key costs SQLite ≈7 µs per insert (a third of a record's
# write); an auditor tracing one request narrows by time, which the time index serves.


def _indexes(table: str) -> tuple[str, ...]:
    return tuple(sql.format(table=table) for sql in _INDEXES)


# Version 1: the records table, one template for both dialects (types in _V1_TYPES). SQLite's id
# is never reused, even after a purge empties the table; its times are microseconds since
# 1970-01-01 UTC and its fields_returned a JSON array of field names.
_V1 = """
CREATE TABLE {table} (
    id {id},
    writer_id TEXT NOT NULL,
    seq {seq} NOT NULL,
    occurred_at {time} NOT NULL,
    request_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    agency_code TEXT,
    officer_id TEXT,
    purpose_code TEXT,
    case_id TEXT,
    operation TEXT NOT NULL,
    subject_hmac TEXT,
    subject_masked TEXT,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    problem_code TEXT,
    upstream_attempts INTEGER NOT NULL,
    latency_ms {real} NOT NULL,
    fields_returned {names} NOT NULL,
    trace_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (writer_id, seq)
)
"""


_V1_TYPES = (  # placeholder, SQLite, PostgreSQL
    ("table", "audit_records", "{schema}.audit_records"),
    ("id", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    ("seq", "INTEGER", "BIGINT"),
    ("time", "INTEGER", "TIMESTAMPTZ"),
    ("real", "REAL", "DOUBLE PRECISION"),
    ("names", "TEXT", "TEXT[]"),
)
_V1_SQLITE = _V1.format(**{name: sqlite for name, sqlite, _ in _V1_TYPES})
_V1_POSTGRES = _V1.format(**{name: postgres for name, _, postgres in _V1_TYPES})

_V2_SQLITE = """
CREATE TABLE audit_anchors (
    writer_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    purged_before INTEGER NOT NULL,      -- microseconds since 1970-01-01 UTC
    purged_at INTEGER NOT NULL,
    records_purged INTEGER NOT NULL,
    mac TEXT NOT NULL,
    PRIMARY KEY (writer_id, seq)
)
"""

_V2_POSTGRES = """
CREATE TABLE {schema}.audit_anchors (
    writer_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    purged_before TIMESTAMPTZ NOT NULL,
    purged_at TIMESTAMPTZ NOT NULL,
    records_purged BIGINT NOT NULL,
    mac TEXT NOT NULL,
    PRIMARY KEY (writer_id, seq)
)
"""

# Version 3: every data subject of an answer, not only the number asked. ``subjects`` (canonical
# JSON, covered by the chain's MAC) is NULL in the records written before it: they knew only the
# number asked. ``audit_subjects`` indexes each other subject's keyed hash (the number asked is
# already indexed in the record) under its record's (writer_id, seq), known before the insert, so
# a batch needs no ids back from the store.
_V3_SUBJECTS = """
CREATE TABLE {table} (
    writer_id TEXT NOT NULL,
    seq {seq} NOT NULL,
    subject_hmac TEXT NOT NULL,
    PRIMARY KEY (writer_id, seq, subject_hmac)
){without_rowid}
"""
# ``audit_legacy`` keeps how far back a citizen's view is incomplete: the time of the newest record
# written before (older code refuses a newer schema, so none is written after). Taken here, from
# the time index, rather than kept in an index over every legacy row.
_V3 = (
    "ALTER TABLE {records} ADD COLUMN subjects TEXT",
    _V3_SUBJECTS,
    "CREATE INDEX audit_subjects_hmac ON {table} (subject_hmac)",
    "CREATE TABLE {legacy} (newest_at {time})",
    "INSERT INTO {legacy} (newest_at) SELECT MAX(occurred_at) FROM {records}",
)


def _v3(prefix: str, seq: str, time: str, without_rowid: str = "") -> tuple[str, ...]:
    names = {
        "records": f"{prefix}audit_records",
        "table": f"{prefix}audit_subjects",
        "legacy": f"{prefix}audit_legacy",
        "seq": seq,
        "time": time,
        "without_rowid": without_rowid,
    }
    return tuple(sql.format(**names) for sql in _V3)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit records in per-writer hash chains",
        (_V1_SQLITE, *_indexes("audit_records")),
        (_V1_POSTGRES, *_indexes("{schema}.audit_records")),
    ),
    Migration(2, "purge anchors", (_V2_SQLITE,), (_V2_POSTGRES,)),
    Migration(
        3,
        "every data subject of an answer",
        # WITHOUT ROWID: the key is the row, one B-tree fewer to update per subject (≈ -20 % of
        # a subject's write cost, docs/performance.md)
        _v3("", "INTEGER", "INTEGER", " WITHOUT ROWID"),
        _v3("{schema}.", "BIGINT", "TIMESTAMPTZ"),
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version


def pending_migrations(current: int, target: int | None = None) -> list[Migration]:
    """The steps that take a store from ``current`` to ``target`` (default: the latest)."""
    if current > LATEST_VERSION:
        raise AuditConfigError(
            f"the audit schema is at version {current}, newer than this code "
            f"(version {LATEST_VERSION}): upgrade the gateway before using this store"
        )
    goal = LATEST_VERSION if target is None else target
    return [step for step in MIGRATIONS if current < step.version <= goal]
