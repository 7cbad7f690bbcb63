"""Audit store faults under a running gateway process: /readyz tells the truth, and it heals.

Each test breaks the store the way an operator saw it break (a PostgreSQL database dropped and
re-created, a SQLite file made read-only, the SQLite ``-shm`` file truncated) while look-ups run,
and checks that ``/readyz`` turns 503 within 5 s, look-ups answer 503 (never 500, never served
unaudited), and that the gateway comes back by itself once the store is back (or, for the ``-shm``
fault, stays up, refuses, and names the store in a log line instead of dying by SIGBUS).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, running
from tests.services import postgres_dsn_or_skip

pytestmark = pytest.mark.process

_FAULT_DEADLINE_S = 5.0
_RECOVERY_DEADLINE_S = 15.0


class Gateway:
    def __init__(self, url: str, mock_url: str, workdir: Path) -> None:
        self.url, self.workdir = url, workdir
        self.person = httpx.get(f"{mock_url}/__admin/citizens/sample?n=1").json()[0]["personal_id"]
        token = httpx.post(
            f"{url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-portal", "demo-secret"),
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}

    def lookup(self) -> httpx.Response:
        return httpx.get(f"{self.url}/api/v1/citizens/{self.person}", headers=self.headers)

    def readyz_until(self, status: int, deadline_s: float) -> dict[str, object]:
        """Poll /readyz until it answers ``status``; its body, or fail after the deadline."""
        deadline = time.monotonic() + deadline_s
        while True:
            answer = httpx.get(f"{self.url}/readyz", timeout=3)
            if answer.status_code == status:
                body: dict[str, object] = answer.json()
                return body
            assert time.monotonic() < deadline, f"/readyz still {answer.status_code}: {answer.text}"
            time.sleep(0.1)

    def log_events(self) -> list[dict[str, object]]:
        lines = (self.workdir / "gateway.log").read_bytes().splitlines()
        return [orjson.loads(line) for line in lines if line.startswith(b"{")]


class Load:
    """Look-ups in a loop on a thread, for the whole fault: every answer's status is kept."""

    def __init__(self, gateway: Gateway) -> None:
        self.statuses: list[int] = []
        self._gateway, self._stop = gateway, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.statuses.append(self._gateway.lookup().status_code)

    @contextmanager
    def running(self) -> Iterator[Load]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(10)


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("mock")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"LGSP_MOCK_POPULATION_SIZE": "2000", "LGSP_LOG_FORMAT": "json"}
    command = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, env, f"{url}/__admin/citizens/sample?n=1", workdir / "mock.log"):
        yield url


@contextmanager
def gateway(mock_url: str, workdir: Path, audit_dsn: str) -> Iterator[Gateway]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_JOBS_DSN": f"sqlite:///{workdir / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
        "LGSP_READINESS_CACHE_S": "0.5",
    }
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, env, f"{url}/readyz", workdir / "gateway.log") as process:
        yield Gateway(url, mock_url, workdir)
        assert process.poll() is None, "the gateway died during the fault"


def _break_and_heal(gw: Gateway, break_it: object, heal_it: object) -> dict[str, object]:
    """Ready → fault under load → 503s → healed → ready and serving; the not-ready body."""
    assert gw.lookup().status_code == 200
    with Load(gw).running() as load:
        break_it()  # type: ignore[operator]
        not_ready = gw.readyz_until(503, _FAULT_DEADLINE_S)
        refused = gw.lookup()
        heal_it()  # type: ignore[operator]
        gw.readyz_until(200, _RECOVERY_DEADLINE_S)
    assert (refused.status_code, refused.json()["code"]) == (503, "audit_unavailable")
    assert set(load.statuses) <= {200, 503}, "a fault must answer 503, never 500"
    assert gw.lookup().status_code == 200
    return not_ready


async def _admin(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def test_postgres_database_dropped_and_recreated(mock_url: str, tmp_path: Path) -> None:
    """The issue's case: /readyz said ready while every look-up failed, until a restart."""
    base = asyncio.run(postgres_dsn_or_skip())
    database = f"lgsp_t18_{uuid.uuid4().hex[:10]}"
    admin = base  # the `test` database: never dropped, only used to drop and create ours
    asyncio.run(_admin(admin, f'CREATE DATABASE "{database}"'))
    try:
        with gateway(mock_url, tmp_path, base.rsplit("/", 1)[0] + f"/{database}") as gw:
            drop = f'DROP DATABASE "{database}" WITH (FORCE)'
            not_ready = _break_and_heal(
                gw,
                lambda: asyncio.run(_admin(admin, drop)),
                lambda: asyncio.run(_admin(admin, f'CREATE DATABASE "{database}"')),
            )
            assert "audit: store_error" in not_ready["reasons"]  # type: ignore[operator]
            assert any(e["event"] == "audit_schema_recreated" for e in gw.log_events())
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _chattr_works(tmp_path: Path) -> bool:
    probe = tmp_path / "chattr-probe"
    probe.touch()
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False)
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
    return done.returncode == 0


def _chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True)


def test_sqlite_file_made_read_only(mock_url: str, tmp_path: Path) -> None:
    """Immutable file and WAL (even root cannot write them): 503 and back, no restart."""
    if not _chattr_works(tmp_path):
        pytest.skip("needs chattr +i (root on ext4/xfs): a mode change does not stop root")
    path = tmp_path / "audit.sqlite3"
    files = (path, path.with_name("audit.sqlite3-wal"))
    try:
        with gateway(mock_url, tmp_path, f"sqlite:///{path}") as gw:
            not_ready = _break_and_heal(
                gw, lambda: _chattr("+i", *files), lambda: _chattr("-i", *files)
            )
    finally:  # whatever happened, leave files pytest can delete (some may be gone by now)
        subprocess.run(["chattr", "-i", *map(str, files)], capture_output=True, check=False)
    assert "audit: store_error" in not_ready["reasons"]  # type: ignore[operator]


def test_sqlite_shm_truncated_is_refused_and_logged_not_a_silent_death(
    mock_url: str, tmp_path: Path
) -> None:
    """The WAL index shrunk under the mapping used to kill the process by SIGBUS, no log line."""
    path = tmp_path / "audit.sqlite3"
    with gateway(mock_url, tmp_path, f"sqlite:///{path}") as gw:
        assert gw.lookup().status_code == 200
        os.truncate(path.with_name("audit.sqlite3-shm"), 0)
        refused = gw.lookup()
        gw.readyz_until(503, _FAULT_DEADLINE_S)
        faults = [e for e in gw.log_events() if e["event"] == "audit_store_fault"]
    assert (refused.status_code, refused.json()["code"]) == (503, "audit_unavailable")
    assert faults, "no audit_store_fault line before the refusal"
    assert (faults[0]["store"], faults[0]["level"]) == (str(path), "critical")


def test_a_fatal_signal_leaves_the_threads_stacks_not_silence(
    mock_url: str, tmp_path: Path
) -> None:
    """What no check foresees (SIGSEGV in a C library) still says where it died: faulthandler."""
    port = free_port()
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
    }
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "gateway.log"
    with running(command, env, f"http://127.0.0.1:{port}/healthz", log) as process:
        process.send_signal(signal.SIGSEGV)
        process.wait(20)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in output
    assert "most recent call first" in output
