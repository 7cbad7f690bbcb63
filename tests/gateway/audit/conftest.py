"""Fixtures for the audit tests: every store-level test runs on SQLite and on PostgreSQL.

The PostgreSQL variant gets a schema of its own, dropped afterwards, so tests never share tables.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from gateway.audit import AuditReader, AuditTrail, open_audit_reader, open_audit_trail
from tests.gateway.audit.support import KEY
from tests.services import postgres_dsn_or_skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
async def audit_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DSN of an empty audit store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
        return
    base = await postgres_dsn_or_skip()
    schema = f"audit_test_{uuid.uuid4().hex[:12]}"
    yield f"{base}?schema={schema}"
    connection = await asyncpg.connect(base)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def trail(audit_dsn: str) -> AsyncIterator[AuditTrail]:
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gateway-1") as started:
        yield started


@pytest.fixture
async def reader(audit_dsn: str) -> AsyncIterator[AuditReader]:
    async with open_audit_reader(audit_dsn, hmac_key=KEY) as opened:
        yield opened
