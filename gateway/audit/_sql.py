"""SQL that both stores share, written once with ``?`` placeholders.

Table names are ``{records}``, ``{anchors}``, ``{subjects}``, ``{legacy}`` and ``{migrations}``:
each store fills in its own (schema-qualified in PostgreSQL, which also numbers the placeholders
with :func:`numbered`).
Identifiers only ever come from the constants here, never from input; values are always bound.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from operator import attrgetter

from gateway.audit._model import RECORD_COLUMNS, AuditRecord
from gateway.audit._query import AuditQuery, SubjectQuery

__all__ = [
    "ANCHOR_COLUMNS",
    "CHAIN_PAGE",
    "CREATE_MIGRATIONS",
    "DELETE_PREFIX",
    "DELETE_SUBJECTS_PREFIX",
    "HEAD_HASH",
    "INSERT_ANCHOR",
    "INSERT_COLUMNS",
    "INSERT_MIGRATION",
    "INSERT_RECORD",
    "INSERT_SUBJECT",
    "LAST_LINK",
    "LATEST_ANCHOR",
    "LEGACY_UNTIL",
    "PURGE_BOUNDS",
    "SCHEMA_TABLES",
    "SCHEMA_VERSION",
    "SEQ_OF_HASH",
    "SUBJECT_COLUMNS",
    "SUBJECT_INDEX",
    "TOUCH_SCHEMA",
    "WRITERS",
    "indexed_subjects",
    "insert_values",
    "numbered",
    "search_statement",
    "subject_rows",
]

_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM {{records}}"  # noqa: S608 -- constant columns
INSERT_COLUMNS: tuple[str, ...] = RECORD_COLUMNS[1:]
_INSERTED = attrgetter(*INSERT_COLUMNS)
_AT, _FIELDS = INSERT_COLUMNS.index("occurred_at"), INSERT_COLUMNS.index("fields_returned")
_SUBJECTS = INSERT_COLUMNS.index("subjects")


def insert_values(
    record: AuditRecord, *, occurred_at: object, fields_returned: object
) -> tuple[object, ...]:
    """The record's values in :data:`INSERT_COLUMNS` order, with the two columns each store keeps
    in its own form (SQLite: integer microseconds and JSON text; PostgreSQL: timestamptz and an
    array) given by the store."""
    values = list(_INSERTED(record))
    values[_AT], values[_FIELDS] = occurred_at, fields_returned
    values[_SUBJECTS] = record.subjects_json()
    return tuple(values)


SUBJECT_COLUMNS = ("writer_id", "seq", "subject_hmac")


def indexed_subjects(record: AuditRecord) -> set[str]:
    """The keyed hashes of ``record`` the subject index holds: every data subject but the number
    asked, which the record's own ``subject_hmac`` column (and its index) already finds."""
    return {s.hmac for s in record.subjects or ()} - {record.subject_hmac}


def subject_rows(records: Sequence[AuditRecord]) -> list[tuple[str, int, str]]:
    """The subject index rows of ``records``."""
    return [
        (record.writer_id, record.seq, subject_hmac)
        for record in records
        for subject_hmac in sorted(indexed_subjects(record))
    ]


ANCHOR_COLUMNS = (
    "writer_id",
    "seq",
    "hash",
    "purged_before",
    "purged_at",
    "records_purged",
    "mac",
)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 -- constants


INSERT_RECORD = _insert("{records}", INSERT_COLUMNS)
INSERT_ANCHOR = _insert("{anchors}", ANCHOR_COLUMNS)
INSERT_SUBJECT = _insert("{subjects}", SUBJECT_COLUMNS)
SUBJECT_INDEX = (
    "SELECT seq, subject_hmac FROM {subjects} WHERE writer_id = ? AND seq >= ? AND seq <= ?"
)
DELETE_SUBJECTS_PREFIX = "DELETE FROM {subjects} WHERE writer_id = ? AND seq <= ?"
LEGACY_UNTIL = (  # None once no record from before subjects were kept is left (purged)
    "SELECT newest_at FROM {legacy} WHERE EXISTS"
    " (SELECT 1 FROM {records} WHERE occurred_at <= newest_at)"
)
# A record names a citizen in its own subject_hmac (the number asked; all a legacy record has) or
# in the subject index (every other data subject of a newer record).
_SUBJECT_IDS = (
    "SELECT id FROM {records} WHERE subject_hmac = ?"
    " UNION SELECT r.id FROM {subjects} s JOIN {records} r"
    " ON r.writer_id = s.writer_id AND r.seq = s.seq WHERE s.subject_hmac = ?"
)
_LEGACY_IDS = " UNION SELECT id FROM {records} WHERE subjects IS NULL AND subject_hmac IN ({marks})"


def _subject_condition(query: AuditQuery) -> tuple[str, list[object]]:
    statement, params = _SUBJECT_IDS, list[object]([query.subject_hmac, query.subject_hmac])
    others = query.legacy_subject_hmacs if isinstance(query, SubjectQuery) else ()
    if others:
        statement += _LEGACY_IDS.replace("{marks}", ", ".join("?" * len(others)))
        params.extend(others)
    return f"id IN ({statement})", params


LAST_LINK = "SELECT seq, hash FROM {records} WHERE writer_id = ? ORDER BY seq DESC LIMIT 1"
LATEST_ANCHOR = (
    f"SELECT {', '.join(ANCHOR_COLUMNS)} FROM {{anchors}}"  # noqa: S608 -- constant columns
    " WHERE writer_id = ? ORDER BY seq DESC LIMIT 1"
)
HEAD_HASH = (  # the hash a writer's next record must link to; parameters: writer, writer, genesis
    "SELECT COALESCE("
    "(SELECT hash FROM {records} WHERE writer_id = ? ORDER BY seq DESC LIMIT 1),"
    " (SELECT hash FROM {anchors} WHERE writer_id = ? ORDER BY seq DESC LIMIT 1), ?)"
)
CHAIN_PAGE = f"{_SELECT} WHERE writer_id = ? AND seq > ? ORDER BY seq LIMIT ?"
SEQ_OF_HASH = "SELECT seq FROM {records} WHERE writer_id = ? AND hash = ? LIMIT 1"
WRITERS = "SELECT writer_id FROM {records} UNION SELECT writer_id FROM {anchors} ORDER BY 1"
PURGE_BOUNDS = (
    "SELECT writer_id, MIN(CASE WHEN occurred_at >= ? THEN seq END), MAX(seq)"
    " FROM {records} GROUP BY writer_id"
)
DELETE_PREFIX = "DELETE FROM {records} WHERE writer_id = ? AND seq <= ?"
CREATE_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS {migrations} ("
    " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM {migrations}"
INSERT_MIGRATION = _insert("{migrations}", ("version", "description", "applied_at"))
# PostgreSQL's readiness write probe: rewrite the newest migration row with its own values. A
# real, committed write (PostgreSQL writes a new row version for every row an UPDATE matches) that
# changes nothing, so a full disk or a read-only database shows before a look-up meets it.
TOUCH_SCHEMA = (
    "UPDATE {migrations} SET applied_at = applied_at"
    " WHERE version = (SELECT MAX(version) FROM {migrations})"
)
# A complete schema's tables: none found is a lost schema (re-created), some a damaged one.
SCHEMA_TABLES = (
    "audit_records",
    "audit_anchors",
    "audit_subjects",
    "audit_legacy",
    "audit_schema_migrations",
)

_PLACEHOLDER = re.compile(r"\?")


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


def search_statement(
    query: AuditQuery, *, cursor: int | None, newest_first: bool, limit: int
) -> tuple[str, list[object]]:
    """A keyset-paginated search: the statement and its parameters (times as ``datetime``)."""
    conditions: list[str] = []
    params: list[object] = []
    if query.since is not None:
        conditions.append("occurred_at >= ?")
        params.append(query.since)
    if query.until is not None:
        conditions.append("occurred_at < ?")
        params.append(query.until)
    for column, value in query.equalities():
        if column == "subject_hmac":
            condition, values = _subject_condition(query)
            conditions.append(condition)
            params.extend(values)
        else:
            conditions.append(f"{column} = ?")
            params.append(value)
    if cursor is not None:
        conditions.append("id < ?" if newest_first else "id > ?")
        params.append(cursor)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "DESC" if newest_first else "ASC"
    return f"{_SELECT}{where} ORDER BY id {order} LIMIT ?", [*params, limit]
