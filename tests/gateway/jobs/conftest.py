"""Fixtures for the job tests: every store-level test runs on SQLite and on PostgreSQL.

The PostgreSQL variant gets a schema of its own (``jobs_test_…``), dropped afterwards, so job tests
never share tables with each other or with the audit tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from gateway.jobs import JobStore, open_job_store
from tests.services import throwaway_schema


def postgres_schema() -> AbstractAsyncContextManager[str]:
    """A job DSN on PostgreSQL with a fresh schema (skips, or fails in CI, without a server)."""
    return throwaway_schema("jobs_test")


@pytest.fixture
async def postgres_jobs_dsn() -> AsyncIterator[str]:
    async with postgres_schema() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
async def jobs_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DSN of an empty job store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
        return
    async with postgres_schema() as dsn:
        yield dsn


@pytest.fixture
async def store(jobs_dsn: str) -> AsyncIterator[JobStore]:
    opened = open_job_store(jobs_dsn)
    await opened.open()
    yield opened
    await opened.close()
