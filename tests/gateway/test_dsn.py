"""The DSN forms both stores accept, and the errors that name the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.audit import AuditConfigError, open_store
from gateway.dsn import DsnError, postgres_target, sqlite_path
from gateway.jobs import JobConfigError, open_job_store


def test_sqlite_paths_relative_and_absolute() -> None:
    assert sqlite_path("sqlite:///var/audit.sqlite3", "audit") == Path("var/audit.sqlite3")
    assert sqlite_path("sqlite:////srv/a.sqlite3", "audit") == Path("/srv/a.sqlite3")


@pytest.mark.parametrize("dsn", ["sqlite://", "sqlite:///:memory:", "sqlite:/x.db"])
def test_sqlite_dsn_must_name_a_file(dsn: str) -> None:
    with pytest.raises(DsnError, match="SQLite jobs DSN names a file"):
        sqlite_path(dsn, "jobs")


def test_postgres_schema_is_split_off_and_other_parameters_kept() -> None:
    url, schema = postgres_target("postgresql://u@h:5432/db?schema=audit&sslmode=require", "x")
    assert (url, schema) == ("postgresql://u@h:5432/db?sslmode=require", "audit")
    assert postgres_target("postgresql://u@h/db", "x") == ("postgresql://u@h/db", "public")


@pytest.mark.parametrize("schema", ["Audit", "a-b", "1abc", "x;drop"])
def test_postgres_schema_must_be_a_plain_identifier(schema: str) -> None:
    with pytest.raises(DsnError, match="audit schema name"):
        postgres_target(f"postgresql://u@h/db?schema={schema}", "audit")


def test_each_store_reports_in_its_own_terms() -> None:
    with pytest.raises(AuditConfigError, match="SQLite audit DSN"):
        open_store("sqlite:///:memory:")
    with pytest.raises(JobConfigError, match="job schema name"):
        open_job_store("postgresql://u@h/db?schema=Bad")
