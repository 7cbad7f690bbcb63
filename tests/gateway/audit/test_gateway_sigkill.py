"""Crash safety of the whole gateway: SIGKILL ``lgsp serve`` under concurrent look-ups, restart it.

The mock national side runs as one process throughout; the gateway runs as ``lgsp serve`` under
one writer id, and 32 concurrent portal clients look citizens up through it, each request carrying
its own ``X-Request-ID``. Once a few hundred look-ups have had their 200, the test kills the
gateway with SIGKILL (no shutdown, no flush) while requests are in flight, starts it again on the
same store, and repeats. Then every request that got a 200 must have its audit record, and the
chain (continued across three kills) must verify: an interrupted batch left no broken link.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import httpx
import pytest

from gateway.audit import AuditReader
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, running, wait_until_serving
from tests.gateway.audit.support import KEY

pytestmark = [pytest.mark.process, pytest.mark.slow]

ROUNDS = 3
OKS_BEFORE_KILL = 150
CONCURRENCY = 32
WRITER = "gateway-under-test"


async def _load_until_killed(
    gateway_url: str, process: subprocess.Popen[bytes], numbers: list[str], round_no: int
) -> tuple[set[str], int]:
    """Look-ups until ``OKS_BEFORE_KILL`` succeeded, SIGKILL, then collect the in-flight answers."""
    ok: set[str] = set()
    failed_in_flight = 0
    enough = asyncio.Event()
    counter = itertools.count()
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        token = await _token(client)
        headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}

        async def worker() -> None:
            nonlocal failed_in_flight
            while True:
                n = next(counter)
                request_id = f"kill{round_no}-{n}"
                try:
                    answer = await client.get(
                        f"/api/v1/citizens/{numbers[n % len(numbers)]}",
                        headers={**headers, "X-Request-ID": request_id},
                    )
                except httpx.TransportError:  # the gateway died under this request
                    failed_in_flight += 1
                    return
                if answer.status_code == 200:
                    ok.add(request_id)
                    if len(ok) >= OKS_BEFORE_KILL:
                        enough.set()
                else:
                    assert answer.status_code == 503, answer.text  # fail closed, never a 500

        workers = [asyncio.create_task(worker()) for _ in range(CONCURRENCY)]
        waiter = asyncio.create_task(enough.wait())
        await asyncio.wait([waiter, *workers], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():  # a worker failed (its error is raised below) or time ran out
            waiter.cancel()
            for task in workers:
                if task.done():
                    task.result()
            raise AssertionError(f"only {len(ok)} look-ups answered within 60 s")
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(asyncio.gather(*workers), timeout=30)
    return ok, failed_in_flight


async def _token(client: httpx.AsyncClient) -> str:
    answer = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-portal", "demo-secret"),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_sigkilled_gateway_loses_no_answered_look_up(
    audit_dsn: str, reader: AuditReader, tmp_path: Path
) -> None:
    mock_port, gateway_port = free_port(), free_port()
    mock_url, gateway_url = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{gateway_port}"
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_AUDIT_HMAC_KEY": KEY.decode(),
        "LGSP_AUDIT_WRITER_ID": WRITER,
        "LGSP_JOBS_WORKER": "false",
        "LGSP_JOBS_DSN": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
        "LGSP_LOG_LEVEL": "warning",
        "LGSP_MOCK_POPULATION_SIZE": "20000",
    }
    mock_cmd = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(mock_port)]
    gateway_cmd = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
    answered: set[str] = set()
    killed_in_flight = 0
    with running(mock_cmd, env, f"{mock_url}/__admin/citizens/sample?n=1", tmp_path / "mock.log"):
        async with httpx.AsyncClient(base_url=mock_url) as mock:
            sample = (await mock.get("/__admin/citizens/sample", params={"n": 50})).json()
        numbers = [str(person["personal_id"]) for person in sample]
        for round_no in range(ROUNDS):
            with ExitStack() as stack:
                log = stack.enter_context((tmp_path / f"gateway-{round_no}.log").open("wb"))
                gateway = await asyncio.to_thread(_start, gateway_cmd, env, log)
                stack.callback(_reap, gateway)
                await asyncio.to_thread(wait_until_serving, f"{gateway_url}/healthz", gateway)
                ok, in_flight = await _load_until_killed(gateway_url, gateway, numbers, round_no)
                assert gateway.wait(10) == -signal.SIGKILL
            answered |= ok
            killed_in_flight += in_flight

    assert killed_in_flight > 0, "the kill should have cut requests short"
    stored = {record.request_id async for record in reader.iter_records()}
    missing = answered - stored
    assert not missing, f"{len(missing)} look-ups answered 200 have no audit record"
    report = await reader.verify(WRITER)
    assert report.ok, report
    assert report.records_checked >= len(answered) >= ROUNDS * OKS_BEFORE_KILL


def _start(cmd: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)
