"""The jobs SQL is written once; each database must still get exactly its own spelling of it."""

from __future__ import annotations

from gateway.jobs import _sql as sql


def test_each_database_gets_the_tables_its_store_always_made() -> None:
    """Files and schemas made before the SQL was shared must match the ones made now."""
    sqlite = sql.SQLITE.render(sql.SCHEMA)
    postgres = sql.POSTGRES.render(sql.SCHEMA)
    assert "    created_at REAL NOT NULL,\n" in sqlite
    assert "    lease_until REAL NOT NULL DEFAULT 0,\n" in sqlite
    assert sqlite.count(") WITHOUT ROWID;") == 2  # inputs and results; not jobs, not keys
    assert "    created_at timestamptz NOT NULL DEFAULT now(),\n" in postgres
    assert "    lease_until timestamptz NOT NULL DEFAULT 'epoch',\n" in postgres
    assert "    attempts integer NOT NULL DEFAULT 0,\n" in postgres
    assert "    ordinal bigint NOT NULL,\n" in postgres
    assert "WITHOUT ROWID" not in postgres
    assert "{" not in sqlite + postgres


def test_postgresql_numbers_the_placeholders_and_locks_what_sqlite_need_not() -> None:
    assert sql.POSTGRES.render(sql.RELEASE) == (
        "UPDATE verification_job_inputs SET claim_id = NULL,"
        " lease_until = now() + make_interval(secs => $1),"
        " attempts = attempts + $2 WHERE job_id = $3 AND ordinal = $4 AND claim_id = $5"
    )
    assert sql.SQLITE.render(sql.RELEASE) == (
        "UPDATE verification_job_inputs SET claim_id = NULL, lease_until = now() + ?,"
        " attempts = attempts + ? WHERE job_id = ? AND ordinal = ? AND claim_id = ?"
    )
    assert sql.POSTGRES.render(sql.LOCKED_JOB).endswith(" WHERE id = $1 FOR UPDATE")
    assert sql.SQLITE.render(sql.LOCKED_JOB).endswith(" WHERE id = ?")
    assert "LIMIT $2 FOR UPDATE SKIP LOCKED)" in sql.POSTGRES.render(sql.LEASE)
    assert "LIMIT ?)" in sql.SQLITE.render(sql.LEASE)
