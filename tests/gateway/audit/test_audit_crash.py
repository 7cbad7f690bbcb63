"""Crash safety: SIGKILL a recording process mid-load, restart it, and lose nothing acknowledged.

A child process (``crash_child``) records look-ups from 32 concurrent clients and prints each
request id as soon as ``record()`` returned for it (the moment a 2xx would leave). The test kills it
with SIGKILL once it has acknowledged a few hundred, restarts it under the same writer id, three
times over; then every acknowledged id must be in the store and the chain must still verify: a
batch cut short by the kill left no record and no broken link.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateway.audit import AuditReader

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 3
ACKS_BEFORE_KILL = 400
DEADLINE_S = 30.0


def _acks(lines: list[bytes]) -> set[str]:
    return {line.split()[1].decode() for line in lines if line.startswith(b"ack ")}


class _AckReader:
    """Collects complete ``ack`` lines from a child's stdout, without blocking past a deadline."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self._fd = process.stdout.fileno()
        self._pending = b""
        self.acks: set[str] = set()

    def read_until(self, count: int, deadline: float) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._fd, selectors.EVENT_READ)
            while len(self.acks) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"only {len(self.acks)} acknowledgements before the deadline"
                if selector.select(remaining) and not self._take():
                    raise AssertionError("the child exited before it was killed")

    def drain(self) -> None:
        """After the kill: whatever complete lines were written before the process died."""
        while self._take():
            pass

    def _take(self) -> bool:
        chunk = os.read(self._fd, 65536)
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        self.acks |= _acks(lines)
        return bool(chunk)


def _run_and_kill(dsn: str, log: Path) -> set[str]:
    with log.open("ab") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.gateway.audit.crash_child", dsn, "gateway-1"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        reader = _AckReader(child)
        reader.read_until(ACKS_BEFORE_KILL, time.monotonic() + DEADLINE_S)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=DEADLINE_S)
        reader.drain()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    return reader.acks


async def test_sigkill_mid_load_loses_no_acknowledged_record(
    audit_dsn: str, reader: AuditReader, tmp_path: Path
) -> None:
    acknowledged: set[str] = set()
    for _ in range(ROUNDS):
        acknowledged |= await asyncio.to_thread(_run_and_kill, audit_dsn, tmp_path / "child.log")
    stored = {record.request_id async for record in reader.iter_records()}
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged look-ups have no audit record"
    report = await reader.verify()
    assert report.ok, report
    assert [c.writer_id for c in report.chains] == ["gateway-1"]
    assert report.records_checked == len(stored) >= ROUNDS * ACKS_BEFORE_KILL
