"""Tamper evidence: verify names the first modified, deleted or reordered record of a chain."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.audit import AuditReader, AuditTrail, BreakReason
from tests.gateway.audit.support import execute, make_event

RECORDS = 8
SWAP = (
    "UPDATE audit_records SET seq = -1 WHERE writer_id = 'gateway-1' AND seq = 4",
    "UPDATE audit_records SET seq = 4 WHERE writer_id = 'gateway-1' AND seq = 5",
    "UPDATE audit_records SET seq = 5 WHERE writer_id = 'gateway-1' AND seq = -1",
)


@dataclass(frozen=True)
class Tampering:
    statements: tuple[str, ...]
    reason: BreakReason
    seq: int
    checked_before: int


TAMPERINGS = [
    pytest.param(
        Tampering(
            ("UPDATE audit_records SET officer_id = 'officer-99' WHERE seq = 4",),
            BreakReason.MODIFIED,
            4,
            3,
        ),
        id="field-modified",
    ),
    pytest.param(
        Tampering(
            ("UPDATE audit_records SET outcome = 'not_found', status = 404 WHERE seq = 1",),
            BreakReason.MODIFIED,
            1,
            0,
        ),
        id="first-record-modified",
    ),
    pytest.param(
        Tampering(
            ("UPDATE audit_records SET hash = prev_hash WHERE seq = 6",),
            BreakReason.MODIFIED,
            6,
            5,
        ),
        id="hash-overwritten",
    ),
    pytest.param(
        Tampering(("DELETE FROM audit_records WHERE seq = 4",), BreakReason.DELETED, 5, 3),
        id="middle-deleted",
    ),
    pytest.param(
        Tampering(("DELETE FROM audit_records WHERE seq = 1",), BreakReason.DELETED, 2, 0),
        id="first-deleted",
    ),
    pytest.param(
        Tampering(
            (
                "DELETE FROM audit_records WHERE seq = 4",
                "UPDATE audit_records SET seq = seq - 1 WHERE seq > 4",
            ),
            BreakReason.DELETED,
            4,
            3,
        ),
        id="deleted-and-renumbered",
    ),
    pytest.param(Tampering(SWAP, BreakReason.REORDERED, 4, 3), id="two-records-swapped"),
    pytest.param(
        Tampering(
            (
                "INSERT INTO audit_records (writer_id, seq, occurred_at, request_id, client_id,"
                " operation, outcome, status, upstream_attempts, latency_ms, fields_returned,"
                " prev_hash, hash) SELECT writer_id, seq + 100, occurred_at, 'forged', client_id,"
                " operation, outcome, status, upstream_attempts, latency_ms, fields_returned,"
                " hash, hash FROM audit_records WHERE seq = 8",
            ),
            BreakReason.MODIFIED,
            108,
            8,
        ),
        id="record-forged-at-the-end",
    ),
]


@pytest.fixture
async def chain(trail: AuditTrail) -> list[str]:
    """One writer's chain of RECORDS look-ups, recorded one after another (seq 1..RECORDS)."""
    request_ids = []
    for _ in range(RECORDS):
        event = make_event()
        await trail.record(event)
        request_ids.append(event.request_id)
    return request_ids


async def test_an_untouched_chain_verifies(chain: list[str], reader: AuditReader) -> None:
    report = await reader.verify()
    assert report.ok
    assert report.records_checked == RECORDS


@pytest.mark.parametrize("tampering", TAMPERINGS)
async def test_verify_names_the_first_broken_record(
    chain: list[str], reader: AuditReader, audit_dsn: str, tampering: Tampering
) -> None:
    for statement in tampering.statements:
        await execute(audit_dsn, statement)
    [report] = (await reader.verify()).chains
    assert report.first_break is not None
    assert (report.first_break.reason, report.first_break.seq) == (tampering.reason, tampering.seq)
    assert report.records_checked == tampering.checked_before


async def test_a_broken_chain_does_not_hide_the_others(
    chain: list[str], trail: AuditTrail, reader: AuditReader, audit_dsn: str
) -> None:
    """Each writer's chain is judged on its own: one tampered chain names only itself."""
    await execute(audit_dsn, "UPDATE audit_records SET writer_id = 'gateway-2' WHERE seq = 4")
    report = await reader.verify()
    by_writer = {c.writer_id: c.first_break for c in report.chains}
    assert by_writer["gateway-1"] is not None
    assert by_writer["gateway-1"].reason is BreakReason.DELETED
    assert by_writer["gateway-2"] is not None
    assert by_writer["gateway-2"].reason is BreakReason.MODIFIED


async def test_the_report_names_the_request(
    chain: list[str], reader: AuditReader, audit_dsn: str
) -> None:
    """An auditor gets the request id of the broken record, to trace it elsewhere."""
    await execute(audit_dsn, "UPDATE audit_records SET case_id = 'HS-forged' WHERE seq = 3")
    report = await reader.verify("gateway-1")
    [chain_report] = report.chains
    assert chain_report.first_break is not None
    assert chain_report.first_break.request_id == chain[2]


@pytest.mark.parametrize(
    ("tampering", "reason", "seq"),
    [
        pytest.param(
            "UPDATE audit_anchors SET records_purged = 0", BreakReason.MODIFIED, 3, id="modified"
        ),
        pytest.param("DELETE FROM audit_anchors", BreakReason.DELETED, 4, id="deleted"),
    ],
)
async def test_a_tampered_purge_anchor_is_caught(
    trail: AuditTrail,
    reader: AuditReader,
    audit_dsn: str,
    tmp_path: Path,
    *,
    tampering: str,
    reason: BreakReason,
    seq: int,
) -> None:
    """Moving the anchor to hide purged-then-deleted records breaks its MAC; deleting it leaves
    the first kept record pointing at nothing."""
    old = datetime.now(UTC) - timedelta(days=400)
    await asyncio.gather(*(trail.record(make_event(occurred_at=old)) for _ in range(3)))
    await trail.record(make_event())
    await reader.purge(datetime.now(UTC) - timedelta(days=365), tmp_path / "archive.jsonl")
    await execute(audit_dsn, tampering)
    [report] = (await reader.verify()).chains
    assert report.first_break is not None
    assert (report.first_break.reason, report.first_break.seq) == (reason, seq)
