"""The two DSN forms the stores share: ``sqlite:///path`` and ``postgresql://…[?schema=name]``.

The audit trail and the job store both accept them; each maps :class:`DsnError` to its own
configuration error, so messages name the store (``an SQLite audit DSN …``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["DsnError", "postgres_target", "sqlite_path"]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class DsnError(ValueError):
    """A DSN the stores cannot use; the message says what would be right."""


def sqlite_path(dsn: str, store: str) -> Path:
    """The file a ``sqlite:///…`` DSN names (three slashes: relative, four: absolute)."""
    prefix = "sqlite:///"
    path = dsn[len(prefix) :] if dsn.startswith(prefix) else ""
    if not path or path == ":memory:":
        raise DsnError(
            f"an SQLite {store} DSN names a file: sqlite:///relative.sqlite3 or "
            "sqlite:////abs.sqlite3"
        )
    return Path(path)


def postgres_target(dsn: str, store: str) -> tuple[str, str]:
    """(connection URL without ``schema``, schema name) of a ``postgresql://`` DSN."""
    parts = urlsplit(dsn)
    params = dict(parse_qsl(parts.query))
    schema = params.pop("schema", "public")
    if not _SCHEMA_NAME.fullmatch(schema):
        raise DsnError(f"{store} schema name {schema!r} is not a lower-case identifier")
    return urlunsplit(parts._replace(query=urlencode(params))), schema
