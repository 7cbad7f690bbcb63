"""The writer's contract: a record returns only once durable, group-committed, fail-closed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from gateway.audit import (
    AuditKeys,
    AuditReader,
    AuditTrail,
    AuditUnavailable,
    open_audit_reader,
    open_audit_trail,
    open_store,
)
from gateway.audit._model import GENESIS, ChainHead
from gateway.audit._seal import seal_batch
from tests.gateway.audit.support import KEY, PERSONAL_ID, FakeStore, make_event


async def test_a_recorded_event_is_in_the_store_when_record_returns(
    trail: AuditTrail, reader: AuditReader
) -> None:
    """Once record() returns, another connection already finds the record."""
    event = make_event()
    await trail.record(event)
    page = await reader.search()
    assert [r.request_id for r in page.records] == [event.request_id]


async def test_concurrent_records_share_commits(trail: AuditTrail, reader: AuditReader) -> None:
    """Many look-ups at once are committed in a few batches, and the chain stays whole."""
    events = [make_event() for _ in range(300)]
    await asyncio.gather(*(trail.record(e) for e in events))
    assert trail.stats.committed == 300
    assert trail.stats.batches < 300
    assert (await reader.verify()).ok
    stored = {r.request_id async for r in reader.iter_records()}
    assert stored == {e.request_id for e in events}


async def test_record_keeps_no_clear_number(trail: AuditTrail, reader: AuditReader) -> None:
    await trail.record(make_event(subject_number=PERSONAL_ID))
    [record] = (await reader.search()).records
    assert PERSONAL_ID not in str(record.to_dict())
    assert record.subject_masked == "054*******62"


async def test_sqlite_file_never_holds_the_clear_number(tmp_path: Path) -> None:
    """Not in a column, not in an index, not in the write-ahead log."""
    dsn = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    async with open_audit_trail(dsn, hmac_key=KEY, writer_id="gw") as trail:
        await asyncio.gather(*(trail.record(make_event()) for _ in range(50)))
        holds_number = _files_holding(tmp_path, PERSONAL_ID)
    assert "audit.sqlite3-wal" in holds_number
    assert not any(holds_number.values())


def _files_holding(directory: Path, text: str) -> dict[str, bool]:
    return {f.name: text.encode() in f.read_bytes() for f in directory.glob("audit.sqlite3*")}


async def test_sqlite_store_creates_its_directory(tmp_path: Path) -> None:
    """The default ``var/`` directory need not exist; the new file is readable by its owner only."""
    dsn = f"sqlite:///{tmp_path / 'var' / 'audit.sqlite3'}"
    async with open_audit_trail(dsn, hmac_key=KEY, writer_id="gw") as trail:
        await trail.record(make_event())
    assert (tmp_path / "var" / "audit.sqlite3").stat().st_mode & 0o777 == 0o600


async def test_restarted_writer_continues_its_chain(audit_dsn: str, reader: AuditReader) -> None:
    """A writer that starts again under the same id picks up where its chain ended."""
    for _ in range(2):
        async with open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gw") as trail:
            await asyncio.gather(*(trail.record(make_event()) for _ in range(5)))
    report = await reader.verify()
    assert report.ok
    assert [(c.writer_id, c.records_checked) for c in report.chains] == [("gw", 10)]


async def test_each_writer_has_its_own_chain(audit_dsn: str, reader: AuditReader) -> None:
    """Replicas writing to one store at once keep separate, individually verifiable chains."""
    trails = [open_audit_trail(audit_dsn, hmac_key=KEY, writer_id=f"gw-{i}") for i in (1, 2)]
    for trail in trails:
        await trail.start()
    await asyncio.gather(*(t.record(make_event()) for t in trails for _ in range(20)))
    for trail in trails:
        await trail.close()
    report = await reader.verify()
    assert report.ok
    assert [(c.writer_id, c.records_checked) for c in report.chains] == [("gw-1", 20), ("gw-2", 20)]


async def test_close_commits_what_was_queued(audit_dsn: str, reader: AuditReader) -> None:
    trail = open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="gw")
    await trail.start()
    pending = [asyncio.create_task(trail.record(make_event())) for _ in range(40)]
    await asyncio.sleep(0)  # let the tasks queue their events: not a wait for a result
    await trail.close()
    await asyncio.gather(*pending)
    assert (await reader.verify()).records_checked == 40


async def test_a_stopped_writer_refuses_to_record(trail: AuditTrail) -> None:
    """After close(), a look-up cannot be recorded, so it must not be served."""
    await trail.close()
    with pytest.raises(AuditUnavailable) as caught:
        await trail.record(make_event())
    assert caught.value.reason == "writer_stopped"
    with pytest.raises(AuditUnavailable):
        await trail.ping()


async def test_ping_answers_while_the_store_does(trail: AuditTrail) -> None:
    await trail.ping()


async def test_unreachable_postgres_fails_closed_at_start() -> None:
    trail = open_audit_trail("postgresql://postgres@127.0.0.1:1/none", hmac_key=KEY, writer_id="gw")
    with pytest.raises(AuditUnavailable) as caught:
        await trail.start()
    assert caught.value.reason == "store_error"


async def test_unwritable_sqlite_fails_closed_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    trail = open_audit_trail(f"sqlite:///{blocker}/audit.sqlite3", hmac_key=KEY, writer_id="gw")
    with pytest.raises(AuditUnavailable):
        await trail.start()


# --- failure handling, with a store whose commits the test controls ----------------------------


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def _trail(store: FakeStore, **options: object) -> AuditTrail:
    return AuditTrail(store, AuditKeys(KEY), writer_id="gw", **options)  # type: ignore[arg-type]


async def test_a_failed_commit_fails_its_callers_and_says_so(store: FakeStore) -> None:
    """Store down: every look-up of the batch gets AuditUnavailable, and the log says why."""
    store.failure = AuditUnavailable("store_error", "disk I/O error")
    async with _trail(store) as trail:
        with capture_logs() as logs, pytest.raises(AuditUnavailable) as caught:
            await trail.record(make_event())
    assert caught.value.reason == "store_error"
    assert {"event": "audit_commit_failed", "reason": "store_error"}.items() <= logs[-1].items()
    assert trail.stats.failed == 1


async def test_writer_recovers_when_the_store_returns(store: FakeStore) -> None:
    """After an outage the chain continues from what the store holds, without a gap."""
    async with _trail(store) as trail:
        await trail.record(make_event())
        store.failure = AuditUnavailable("store_error", "down")
        with capture_logs(), pytest.raises(AuditUnavailable):
            await trail.record(make_event())
        store.failure = None
        await trail.record(make_event())
    assert [r.seq for r in store.records] == [1, 2]
    assert store.records[1].prev_hash == store.records[0].hash


async def test_batches_sealed_behind_a_failed_one_fail_with_it(store: FakeStore) -> None:
    """A batch already chained onto a failed one is refused without reaching the store."""
    store.gate.clear()
    async with _trail(store, batch_max=1) as trail:
        first = asyncio.create_task(trail.record(make_event(request_id="first")))
        await asyncio.wait_for(store.appending.wait(), timeout=5)
        second = asyncio.create_task(trail.record(make_event(request_id="second")))
        await asyncio.sleep(0)  # it queues now, and is sealed before the commit below resumes
        store.failure = AuditUnavailable("store_error", "disk full")
        with capture_logs():
            store.gate.set()
            results = await asyncio.gather(first, second, return_exceptions=True)
            store.failure = None
            await trail.record(make_event(request_id="third"))
    assert [type(r) for r in results] == [AuditUnavailable, AuditUnavailable]
    assert store.appends == 2  # "first" and "third": "second" never reached the store
    assert [(r.request_id, r.seq) for r in store.records] == [("third", 1)]


async def test_a_full_queue_refuses_at_once(store: FakeStore) -> None:
    """When the queue is full, record() fails immediately instead of growing memory."""
    store.gate.clear()
    async with _trail(store, queue_max=2) as trail:
        first = asyncio.create_task(trail.record(make_event()))
        await asyncio.wait_for(store.appending.wait(), timeout=5)  # the writer holds one batch
        queued = [asyncio.create_task(trail.record(make_event())) for _ in range(2)]
        await asyncio.sleep(0)  # let both tasks enqueue: not a wait for a result
        with capture_logs() as logs, pytest.raises(AuditUnavailable) as caught:
            await trail.record(make_event())
        assert caught.value.reason == "queue_full"
        assert logs[0]["event"] == "audit_queue_full"
        assert trail.stats.rejected == 1
        store.gate.set()
        await asyncio.gather(first, *queued)


async def test_a_slow_commit_times_out_and_fails_closed(store: FakeStore) -> None:
    store.gate.clear()
    async with _trail(store, commit_timeout_s=0.05) as trail:
        with capture_logs(), pytest.raises(AuditUnavailable) as caught:
            await trail.record(make_event())
        store.gate.set()
    assert caught.value.reason == "timeout"


async def test_a_cancelled_caller_leaves_the_writer_working(store: FakeStore) -> None:
    """A client that hangs up mid-wait does not stop the writer; its record still lands."""
    store.gate.clear()
    async with _trail(store) as trail:
        gone = asyncio.create_task(trail.record(make_event(request_id="gone")))
        await asyncio.wait_for(store.appending.wait(), timeout=5)
        gone.cancel()
        store.gate.set()
        await trail.record(make_event(request_id="next"))
    assert [r.request_id for r in store.records] == ["gone", "next"]


async def test_stats_show_the_queue_and_the_commits(store: FakeStore) -> None:
    async with _trail(store) as trail:
        await asyncio.gather(*(trail.record(make_event()) for _ in range(3)))
        stats = trail.stats
    assert (stats.committed, stats.failed, stats.rejected, stats.queue_depth) == (3, 0, 0, 0)
    assert stats.head_seq == 3
    assert stats.last_commit_ms is not None


async def test_reader_and_trail_open_the_same_store(tmp_path: Path) -> None:
    """The CLI can read while the gateway writes (WAL: readers do not block the writer)."""
    dsn = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    async with (
        open_audit_trail(dsn, hmac_key=KEY, writer_id="gw") as trail,
        open_audit_reader(dsn, hmac_key=KEY) as reader,
    ):
        await trail.record(make_event())
        page = await reader.search()
        await trail.record(make_event())
    assert len(page.records) == 1


async def test_store_appends_only_what_continues_the_chain(audit_dsn: str) -> None:
    """Compare-and-append: a stale or gapped batch is refused whole, so no race leaves a gap."""
    keys, store = AuditKeys(KEY), open_store(audit_dsn)
    await store.open()
    try:
        await store.append(seal_batch([make_event()], GENESIS, "gw", keys))
        for head in (GENESIS, ChainHead(5, "f" * 64)):
            with pytest.raises(AuditUnavailable) as caught:
                await store.append(seal_batch([make_event(), make_event()], head, "gw", keys))
            assert caught.value.reason == "chain_conflict"
        stored = await store.last_link("gw")
        assert stored is not None
        assert stored.seq == 1  # nothing of the refused batches was stored
    finally:
        await store.close()


async def test_two_writers_sharing_an_id_cannot_fork_the_chain(
    audit_dsn: str, reader: AuditReader
) -> None:
    """Misconfigured replicas under one writer id cost 503s, never a broken chain or lost ack."""
    trails = [open_audit_trail(audit_dsn, hmac_key=KEY, writer_id="same") for _ in range(2)]
    for trail in trails:
        await trail.start()
    events = [(trails[i % 2], make_event()) for i in range(200)]
    with capture_logs():
        results = await asyncio.gather(*(t.record(e) for t, e in events), return_exceptions=True)
    for trail in trails:
        await trail.close()
    acknowledged = {
        e.request_id for (_, e), result in zip(events, results, strict=True) if not result
    }
    refused = [r for r in results if r is not None]
    assert all(isinstance(r, AuditUnavailable) and r.reason == "chain_conflict" for r in refused)
    assert acknowledged <= {r.request_id async for r in reader.iter_records()}
    assert (await reader.verify()).ok
