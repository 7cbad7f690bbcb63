"""The schema is versioned: a new store is created at the latest version, an old one upgraded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.audit import (
    LATEST_VERSION,
    AuditConfigError,
    open_audit_reader,
    open_audit_trail,
    open_store,
)
from gateway.audit._migrations import MIGRATIONS
from tests.gateway.audit.support import KEY, execute, make_event


async def _version(dsn: str) -> int:
    store = open_store(dsn)
    await store.open()
    try:
        return await store.schema_version()
    finally:
        await store.close()


async def test_a_new_store_is_at_the_latest_version(audit_dsn: str) -> None:
    assert await _version(audit_dsn) == LATEST_VERSION


async def test_opening_again_changes_nothing(audit_dsn: str) -> None:
    await _version(audit_dsn)
    assert await _version(audit_dsn) == LATEST_VERSION


async def test_an_older_store_is_upgraded_and_keeps_its_records(
    audit_dsn: str, tmp_path: Path
) -> None:
    """A version-1 store (no purge anchors yet) is migrated on open, records intact."""
    old = open_store(audit_dsn, migrate_to=1)
    await old.open()
    await old.close()
    old_time = datetime.now(UTC) - timedelta(days=400)
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gw") as trail:
        await trail.record(make_event(occurred_at=old_time))
        await trail.record(make_event())
    async with open_audit_reader(audit_dsn, hmac_key=KEY) as reader:
        report = await reader.purge(datetime.now(UTC) - timedelta(days=1), tmp_path / "a.jsonl")
        assert report.records_purged == 1
        assert (await reader.verify()).ok


async def test_a_store_from_newer_code_is_refused(audit_dsn: str) -> None:
    """Old code must not write into a schema it does not know."""
    await _version(audit_dsn)
    await execute(
        audit_dsn,
        "INSERT INTO audit_schema_migrations (version, description, applied_at)"
        " VALUES (99, 'from the future', '2030-01-01')",
    )
    with pytest.raises(AuditConfigError, match="newer than this code"):
        await _version(audit_dsn)


def test_every_step_exists_for_both_stores() -> None:
    """A migration written for one store only would let the two drift apart."""
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert all(m.sqlite and m.postgres for m in MIGRATIONS)
