"""A store that lost its schema under a running trail: the probe heals what a restart would.

Both stores: every audit table dropped (the database or schema re-created) is migrated again and
the trail records once more without a restart; only some tables dropped is a hand-made damage that
stays unavailable with the reason ``schema_damaged``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.audit import AuditTrail, AuditUnavailable, open_audit_reader, open_audit_trail
from gateway.audit._sql import SCHEMA_TABLES
from tests.gateway.audit.support import KEY, execute, make_event

_ALL_TABLES = SCHEMA_TABLES  # every table the migrations create (a recreated database)


async def _drop(audit_dsn: str, *tables: str) -> None:
    for table in tables:
        await execute(audit_dsn, f"DROP TABLE {table}")


async def test_a_schema_lost_whole_is_recreated_and_recording_resumes(
    trail: AuditTrail, audit_dsn: str
) -> None:
    """The writer's next batch after the loss fails, the one after it lands: no restart."""
    await trail.record(make_event())
    await _drop(audit_dsn, *_ALL_TABLES)
    with pytest.raises(AuditUnavailable):
        await trail.record(make_event())
    await trail.record(make_event())
    await trail.ping()


async def test_the_readiness_probe_recreates_a_lost_schema(
    trail: AuditTrail, audit_dsn: str
) -> None:
    """With no traffic at all, the probe alone brings the store back."""
    await _drop(audit_dsn, *_ALL_TABLES)
    await trail.ping()
    await trail.record(make_event())


async def test_a_table_dropped_by_hand_stays_unavailable_with_its_reason(
    trail: AuditTrail, audit_dsn: str
) -> None:
    """Re-creating one table beside a history that says it exists could hide the loss."""
    await _drop(audit_dsn, "audit_records")
    with pytest.raises(AuditUnavailable) as caught:
        await trail.ping()
    assert caught.value.reason == "schema_damaged"
    assert "audit_records missing" in caught.value.detail


async def test_a_sqlite_file_deleted_under_the_trail_is_reopened_not_written_blind(
    tmp_path: Path,
) -> None:
    """Unlinked, the old file kept taking records nobody could ever read: the probe reopens."""
    path = tmp_path / "audit.sqlite3"
    async with open_audit_trail(f"sqlite:///{path}", hmac_key=KEY, writer_id="gw") as trail:
        await trail.record(make_event())
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        await trail.ping()
        await trail.record(make_event())
        assert path.exists()
    async with open_audit_reader(f"sqlite:///{path}", hmac_key=KEY) as reader:
        assert (await reader.verify()).records_checked == 1
