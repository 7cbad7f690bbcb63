"""Signed checkpoints: ``verify`` catches what a chain alone cannot, and names writer and range.

An insider with the database (and even the HMAC key) cuts the tail, deletes a whole chain,
re-chains a forged tail, or forges a purge anchor; each is caught against checkpoints signed with
a key they do not have. An honest purge is not a truncation. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from gateway.audit import (
    AuditTrail,
    Checkpoint,
    Checkpointer,
    CheckpointLog,
    CheckpointSigner,
    GapKind,
    TrustedKeys,
    VerifyReport,
    new_signing_key,
    open_audit_reader,
    open_audit_trail,
)
from gateway.audit._model import GENESIS, Anchor, ChainHead, epoch_micros
from gateway.audit._seal import AuditKeys
from gateway.audit.cli import audit_app
from gateway.runtime import audit_signer, build_runtime, checkpoint_log
from gateway.settings import Settings
from tests.gateway.audit.support import KEY, execute, make_event

WRITER = "gateway-1"
SIGNING_TEXT = new_signing_key()
SIGNER = CheckpointSigner.from_text(SIGNING_TEXT)
PUBLIC = TrustedKeys.from_texts([SIGNER.public_text()])
OLD = datetime.now(UTC) - timedelta(days=400)


@pytest.fixture
def log(tmp_path: Path) -> CheckpointLog:
    return CheckpointLog(tmp_path / "checkpoints")


async def record(trail: AuditTrail, count: int, *, old: int = 0, tag: str = "r") -> None:
    for i in range(count):
        when = OLD if i < old else datetime.now(UTC)
        await trail.record(make_event(request_id=f"{tag}{i}", occurred_at=when))


async def write_chain(dsn: str, log: CheckpointLog, count: int, *, old: int = 0) -> None:
    """``count`` look-ups by one writer signing every 5 records (and at shutdown)."""
    checkpointer = Checkpointer(log, SIGNER, every_records=5, every_s=60)
    trail = open_audit_trail(dsn, hmac_key=KEY, writer_id=WRITER, checkpointer=checkpointer)
    async with trail:
        await record(trail, count, old=old)


async def verify(dsn: str, log: CheckpointLog, trusted: TrustedKeys = PUBLIC) -> VerifyReport:
    """What an auditor runs: the public key only, no signing key."""
    async with open_audit_reader(dsn, hmac_key=KEY, checkpoints=log, trusted=trusted) as reader:
        return await reader.verify()


def only_gap(report: VerifyReport) -> tuple[str, GapKind, int, int]:
    assert not report.ok
    [gap] = [gap for verdict in report.completeness for gap in verdict.gaps]
    return gap.writer_id, gap.kind, gap.first_seq, gap.last_seq


async def test_an_intact_trail_verifies_against_its_checkpoints(
    audit_dsn: str, log: CheckpointLog
) -> None:
    await write_chain(audit_dsn, log, 12)
    seqs = [c.seq for c in log.read().checkpoints]
    assert len(seqs) >= 2, "about every 5 records (the head when the signer gets to run)"
    assert seqs == sorted(set(seqs)), "never the same head twice"
    assert seqs[-1] == 12, "and the head at shutdown"
    report = await verify(audit_dsn, log)
    assert report.ok
    [verdict] = report.completeness
    assert (verdict.writer_id, verdict.signed_seq, verdict.uncovered) == (WRITER, 12, None)


async def test_cutting_the_tail_is_caught_with_the_missing_range(
    audit_dsn: str, log: CheckpointLog
) -> None:
    await write_chain(audit_dsn, log, 12)
    await execute(audit_dsn, "DELETE FROM audit_records WHERE seq > 9")
    report = await verify(audit_dsn, log)
    assert report.chains[0].ok, "the chain alone still verifies: that is the hole"
    assert only_gap(report) == (WRITER, GapKind.TRUNCATED, 10, 12)


async def test_deleting_every_row_is_caught(audit_dsn: str, log: CheckpointLog) -> None:
    await write_chain(audit_dsn, log, 12)
    await execute(audit_dsn, "DELETE FROM audit_records")
    assert only_gap(await verify(audit_dsn, log)) == (WRITER, GapKind.DELETED, 1, 12)


async def test_a_rechained_forged_tail_is_caught(audit_dsn: str, log: CheckpointLog) -> None:
    """The forger has the database and the HMAC key, not the signing key."""
    await write_chain(audit_dsn, log, 12)
    kept = log.read().checkpoints[0].seq  # the forger keeps the first signed head, rewrites on
    await execute(audit_dsn, "DELETE FROM audit_records WHERE seq > ?", kept)
    async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id=WRITER) as forger:
        await record(forger, 12 - kept, tag="forged")
    report = await verify(audit_dsn, log)
    assert report.chains[0].ok, "the forged tail is a valid chain"
    assert only_gap(report) == (WRITER, GapKind.REPLACED, kept + 1, 12)


async def test_an_honest_purge_is_not_a_truncation(
    audit_dsn: str, log: CheckpointLog, tmp_path: Path
) -> None:
    await write_chain(audit_dsn, log, 8, old=8)  # every record is past retention
    async with open_audit_reader(audit_dsn, hmac_key=KEY, checkpoints=log, signer=SIGNER) as r:
        purged = await r.purge(datetime.now(UTC) - timedelta(days=365), tmp_path / "a.jsonl")
    assert purged.records_purged == 8
    assert (await verify(audit_dsn, log)).ok


async def test_a_purge_anchor_forged_with_the_hmac_key_is_caught(
    audit_dsn: str, log: CheckpointLog
) -> None:
    """Deleting the tail and planting an anchor that claims a purge: no signed purge backs it."""
    await write_chain(audit_dsn, log, 12)
    last = log.read().checkpoints[-1]
    await execute(audit_dsn, "DELETE FROM audit_records")
    draft = Anchor(WRITER, last.seq, last.head_hash, OLD, datetime.now(UTC), 12, mac="")
    mac = AuditKeys(KEY).anchor_mac(draft)
    await execute(
        audit_dsn,
        "INSERT INTO audit_anchors (writer_id, seq, hash, purged_before, purged_at, "
        "records_purged, mac) VALUES (?, ?, ?, ?, ?, ?, ?)",
        *_anchor_values(audit_dsn, draft, mac),
    )
    assert only_gap(await verify(audit_dsn, log)) == (WRITER, GapKind.UNSIGNED_PURGE, 1, 12)


async def test_checkpoints_of_a_rotated_key_verify_while_it_is_trusted(
    audit_dsn: str, log: CheckpointLog
) -> None:
    await write_chain(audit_dsn, log, 6)
    new_key = CheckpointSigner.from_text(new_signing_key())
    only_new = TrustedKeys.from_texts([new_key.public_text()])
    both = TrustedKeys.from_texts([new_key.public_text(), SIGNER.public_text()])
    assert (await verify(audit_dsn, log, both)).ok
    report = await verify(audit_dsn, log, only_new)
    assert {g.kind for v in report.completeness for g in v.gaps} == {GapKind.BAD_CHECKPOINT}


async def test_a_checkpoint_signed_by_an_untrusted_key_fails(
    audit_dsn: str, log: CheckpointLog
) -> None:
    await write_chain(audit_dsn, log, 6)
    intruder = CheckpointSigner.from_text(new_signing_key())
    forged = Checkpoint(WRITER, 3, "0" * 64, datetime.now(UTC)).signed_by(intruder)
    await asyncio.to_thread(log.append, forged)
    report = await verify(audit_dsn, log)
    assert not report.ok
    assert any(g.kind is GapKind.BAD_CHECKPOINT for v in report.completeness for g in v.gaps)


async def test_cli_verify_names_writer_and_missing_range(
    audit_dsn: str, log: CheckpointLog
) -> None:
    await write_chain(audit_dsn, log, 12)
    await execute(audit_dsn, "DELETE FROM audit_records WHERE seq > 9")
    env = {
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_AUDIT_HMAC_KEY": KEY.decode(),
        "LGSP_AUDIT_CHECKPOINT_DIR": str(log.directory),
        "LGSP_AUDIT_TRUSTED_KEYS": SIGNER.public_text(),
        "LGSP_ENV": "production",  # no dev signing key: only the trusted public key counts
    }
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, audit_app, ["verify", "--json"], env=env)
    assert result.exit_code == 1
    [verdict] = orjson.loads(result.output)["completeness"]
    [gap] = verdict["gaps"]
    assert (gap["writer_id"], gap["kind"], gap["first_seq"], gap["last_seq"]) == (
        WRITER,
        "truncated",
        10,
        12,
    )
    table = await asyncio.to_thread(runner.invoke, audit_app, ["verify"], env=env)
    assert "seq 10-12" in table.output
    assert WRITER in table.output


def _anchor_values(dsn: str, anchor: Anchor, mac: str) -> tuple[object, ...]:
    if dsn.startswith("sqlite"):
        times: tuple[object, object] = (
            epoch_micros(anchor.purged_before),
            epoch_micros(anchor.purged_at),
        )
    else:
        times = (anchor.purged_before, anchor.purged_at)
    return (anchor.writer_id, anchor.seq, anchor.hash, *times, anchor.records_purged, mac)


async def test_the_gateway_signs_its_head_at_shutdown(settings: Settings) -> None:
    """Wiring: settings → runtime → checkpointer; the dev gateway signs with the dev key."""
    runtime = build_runtime(settings)
    await runtime.audit.start()
    try:
        await runtime.audit.record(make_event())
    finally:
        await runtime.audit.close()
        await runtime.http.aclose()
    log = checkpoint_log(settings)
    [checkpoint] = log.read().checkpoints
    assert (checkpoint.seq, checkpoint.key_id) == (1, audit_signer(settings).key_id)
    assert log.directory == Path(os.environ["LGSP_AUDIT_CHECKPOINT_DIR"])


class _SlowLog(CheckpointLog):
    """A checkpoint directory on a slow disk: each append takes a while in its thread."""

    delay_s = 0.2

    def append(self, checkpoint: Checkpoint) -> None:
        time.sleep(self.delay_s)
        super().append(checkpoint)


async def test_a_shutdown_during_a_signing_does_not_sign_the_same_head_twice(
    tmp_path: Path,
) -> None:
    """The timer's checkpoint is still being written when the writer stops: the shutdown waits
    for it instead of abandoning it half-done and signing the same head again."""
    log = _SlowLog(tmp_path / "slow")
    checkpointer = Checkpointer(log, SIGNER, every_records=1, every_s=60)
    checkpointer.begin(WRITER, GENESIS)
    checkpointer.committed(ChainHead(1, "a" * 64))
    await asyncio.sleep(0.05)  # the timer has woken and is writing head 1
    await checkpointer.close()
    assert [c.seq for c in log.read().checkpoints] == [1]


async def test_a_stuck_checkpoint_directory_does_not_hold_the_shutdown(tmp_path: Path) -> None:
    log = _SlowLog(tmp_path / "stuck")
    log.delay_s = 2.0
    checkpointer = Checkpointer(log, SIGNER, every_records=1, every_s=60, close_timeout_s=0.2)
    checkpointer.begin(WRITER, GENESIS)
    checkpointer.committed(ChainHead(1, "a" * 64))
    await asyncio.sleep(0.05)  # the timer is writing head 1, and the directory hangs
    with capture_logs() as logs:
        await checkpointer.close()
    assert not log.path.exists(), "close returned while the append was still hanging"
    assert [e["event"] for e in logs] == ["audit_checkpoint_stuck"]
