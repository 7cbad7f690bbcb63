"""Retention: a purge archives before it deletes, and the chains that remain still verify."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from gateway.audit import AuditQueryError, AuditReader, AuditTrail, open_audit_trail
from tests.gateway.audit.support import KEY, execute, make_event

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=400)
CUTOFF = NOW - timedelta(days=365)


async def _record_ages(trail: AuditTrail, ages: str) -> list[str]:
    """Record one look-up per letter, in order: ``o`` an old one, ``n`` a new one."""
    request_ids = []
    for i, age in enumerate(ages):
        event = make_event(
            request_id=f"{age}{i}", occurred_at=OLD if age == "o" else NOW - timedelta(days=1)
        )
        await trail.record(event)
        request_ids.append(event.request_id)
    return request_ids


def _archived(path: Path) -> list[str]:
    return [orjson.loads(line)["request_id"] for line in path.read_text().splitlines()]


async def test_purge_archives_then_deletes_the_old_records(
    trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    await _record_ages(trail, "ooonn")
    archive = tmp_path / "archive.jsonl"
    report = await reader.purge(CUTOFF, archive)
    assert report.records_purged == 3
    assert _archived(archive) == ["o0", "o1", "o2"]
    assert [r.request_id async for r in reader.iter_records()] == ["n3", "n4"]


async def test_remaining_chain_verifies_and_grows(
    trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    """The anchor takes the purged records' place: the chain verifies now and after new records."""
    await _record_ages(trail, "ooon")
    await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    assert (await reader.verify()).ok
    await trail.record(make_event())
    report = await reader.verify()
    assert report.ok
    assert report.records_checked == 2


async def test_purging_a_whole_chain_lets_its_writer_continue(
    audit_dsn: str, reader: AuditReader, tmp_path: Path
) -> None:
    """A writer restarted after its every record was purged continues from the anchor."""
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gw") as trail:
        await _record_ages(trail, "ooo")
    await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gw") as trail:
        await trail.record(make_event())
        assert trail.stats.head_seq == 4
    assert (await reader.verify()).ok


async def test_an_old_record_committed_after_a_new_one_waits(
    trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    """Only a prefix of a chain goes, so the chain never loses a link in its middle."""
    await _record_ages(trail, "ono")
    report = await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    assert report.records_purged == 1
    assert [r.request_id async for r in reader.iter_records()] == ["n1", "o2"]
    assert (await reader.verify()).ok


async def test_purges_repeat(trail: AuditTrail, reader: AuditReader, tmp_path: Path) -> None:
    await _record_ages(trail, "oo")
    await reader.purge(CUTOFF, tmp_path / "first.jsonl")
    await _record_ages(trail, "oon")
    second = await reader.purge(CUTOFF, tmp_path / "second.jsonl")
    assert second.records_purged == 2
    assert [a.seq for a in second.anchors] == [4]
    assert (await reader.verify()).ok


async def test_nothing_old_means_nothing_purged(
    trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    await _record_ages(trail, "nn")
    report = await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    assert (report.records_purged, report.anchors) == (0, ())
    assert (tmp_path / "archive.jsonl").read_text() == ""


async def test_purge_never_overwrites_an_archive(
    trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    await _record_ages(trail, "oon")
    archive = tmp_path / "archive.jsonl"
    archive.write_text("earlier archive\n")
    with pytest.raises(AuditQueryError, match="never overwrites"):
        await reader.purge(CUTOFF, archive)
    assert archive.read_text() == "earlier archive\n"
    assert len([r async for r in reader.iter_records()]) == 3


async def test_purge_refuses_a_broken_chain(
    trail: AuditTrail, reader: AuditReader, audit_dsn: str, tmp_path: Path
) -> None:
    """Tampered evidence is for an investigator, not for the archive: nothing is purged."""
    await _record_ages(trail, "oon")
    await execute(audit_dsn, "UPDATE audit_records SET officer_id = 'x' WHERE seq = 2")
    with pytest.raises(AuditQueryError, match="does not verify"):
        await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    assert not (tmp_path / "archive.jsonl").exists()


async def test_purge_covers_every_writer(
    audit_dsn: str, reader: AuditReader, tmp_path: Path
) -> None:
    trails = [open_audit_trail(audit_dsn, hmac_key=KEY, writer_id=f"gw-{i}") for i in (1, 2)]
    for trail in trails:
        await trail.start()
    await asyncio.gather(*(_record_ages(t, "oon") for t in trails))
    for trail in trails:
        await trail.close()
    report = await reader.purge(CUTOFF, tmp_path / "archive.jsonl")
    assert sorted(a.writer_id for a in report.anchors) == ["gw-1", "gw-2"]
    assert report.records_purged == 4
    assert (await reader.verify()).ok


async def test_purge_needs_an_aware_cutoff(reader: AuditReader, tmp_path: Path) -> None:
    with pytest.raises(AuditQueryError):
        await reader.purge(datetime(2020, 1, 1), tmp_path / "a.jsonl")
