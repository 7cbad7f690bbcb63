"""Fixtures for the audit tests: every store-level test runs on SQLite and on PostgreSQL.

The PostgreSQL variant gets a schema of its own, dropped afterwards, so tests never share tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.audit import AuditReader, AuditTrail, open_audit_reader, open_audit_trail
from tests.gateway.audit.support import KEY
from tests.services import throwaway_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
async def audit_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DSN of an empty audit store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
        return
    async with throwaway_schema("audit_test") as dsn:
        yield dsn


@pytest.fixture
async def trail(audit_dsn: str) -> AsyncIterator[AuditTrail]:
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gateway-1") as started:
        yield started


@pytest.fixture
async def reader(audit_dsn: str) -> AsyncIterator[AuditReader]:
    async with open_audit_reader(audit_dsn, hmac_key=KEY) as opened:
        yield opened
