"""SQL that both stores share, written once with ``?`` placeholders.

Table names are ``{records}``, ``{anchors}`` and ``{migrations}``: each store fills in its own
(schema-qualified in PostgreSQL, which also numbers the placeholders with :func:`numbered`).
Identifiers only ever come from the constants here, never from input; values are always bound.
"""

from __future__ import annotations

import itertools
import re
from operator import attrgetter

from gateway.audit._model import RECORD_COLUMNS, AuditRecord
from gateway.audit._query import AuditQuery

__all__ = [
    "ANCHOR_COLUMNS",
    "CHAIN_PAGE",
    "CREATE_MIGRATIONS",
    "DELETE_PREFIX",
    "HEAD_HASH",
    "INSERT_ANCHOR",
    "INSERT_COLUMNS",
    "INSERT_MIGRATION",
    "INSERT_RECORD",
    "LAST_LINK",
    "LATEST_ANCHOR",
    "PURGE_BOUNDS",
    "SCHEMA_TABLES",
    "SCHEMA_VERSION",
    "SEQ_OF_HASH",
    "TOUCH_SCHEMA",
    "WRITERS",
    "insert_values",
    "numbered",
    "search_statement",
]

_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM {{records}}"  # noqa: S608 -- constant columns
INSERT_COLUMNS: tuple[str, ...] = RECORD_COLUMNS[1:]
_INSERTED = attrgetter(*INSERT_COLUMNS)
_AT, _FIELDS = INSERT_COLUMNS.index("occurred_at"), INSERT_COLUMNS.index("fields_returned")


def insert_values(
    record: AuditRecord, *, occurred_at: object, fields_returned: object
) -> tuple[object, ...]:
    """The record's values in :data:`INSERT_COLUMNS` order, with the two columns each store keeps
    in its own form (SQLite: integer microseconds and JSON text; PostgreSQL: timestamptz and an
    array) given by the store."""
    values = list(_INSERTED(record))
    values[_AT], values[_FIELDS] = occurred_at, fields_returned
    return tuple(values)


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
SCHEMA_TABLES = ("audit_records", "audit_anchors", "audit_schema_migrations")

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
        conditions.append(f"{column} = ?")
        params.append(value)
    if cursor is not None:
        conditions.append("id < ?" if newest_first else "id > ?")
        params.append(cursor)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "DESC" if newest_first else "ASC"
    return f"{_SELECT}{where} ORDER BY id {order} LIMIT ?", [*params, limit]
