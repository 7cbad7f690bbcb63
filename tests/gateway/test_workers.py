"""``lgsp serve --workers 2``: both workers serve, each with its own chain, under one limit.

Real processes on loopback: the mock national side and the gateway's supervisor with two
workers, PostgreSQL audit (a schema of its own) and Redis limits. The workers share one socket,
so which takes a connection is the kernel's choice; the test keeps opening fresh connections
until both writer ids appear in the audit trail (bounded), then checks the promises of
gateway/serve.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.audit import open_audit_reader
from gateway.security.clients import ClientRecord, Operation, save_clients
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, running
from tests.services import drop_schemas, postgres_dsn_or_skip, redis_url_or_skip

pytestmark = [pytest.mark.services, pytest.mark.process]

SECRET = "workers-test-client-secret"
HMAC_KEY = "workers-test-audit-hmac-key-0123456789"
BURST, RATE_PER_S = 6, 0.5
WRITER = "wk"
LOOKUP_ROUTE = "/api/v1/citizens/{number}"


def client(client_id: str, *, rate_per_s: float, burst: int) -> ClientRecord:
    return client_record(
        client_id,
        secret=SECRET,
        name="Workers test portal",
        operations=frozenset({Operation.LOOKUP}),
        rate_per_s=rate_per_s,
        burst=burst,
    )


@contextmanager
def supervised_gateway(tmp: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    mock_port, port = free_port(), free_port()
    mock_url, url = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{port}"
    env = {"LGSP_NGSP_BASE_URL": mock_url, "LGSP_MOCK_POPULATION_SIZE": "50000", **env}
    with ExitStack() as stack:
        mock_cmd = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(mock_port)]
        ready = f"{mock_url}/__admin/citizens/sample?n=1"
        stack.enter_context(running(mock_cmd, env, ready, tmp / "mock.log"))
        cmd = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        stack.enter_context(running(cmd, env, f"{url}/healthz", tmp / "gateway.log"))
        yield url, mock_url


async def sample_number(mock_url: str) -> str:
    async with httpx.AsyncClient(base_url=mock_url, timeout=10) as http:
        answer = await http.get("/__admin/citizens/sample", params={"n": 1})
        return str(answer.json()[0]["personal_id"])


async def token(http: httpx.AsyncClient, client_id: str) -> dict[str, str]:
    answer = await http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, SECRET)
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}", **PURPOSE_HEADERS}


async def lookup_on_fresh_connection(url: str, headers: dict[str, str], number: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        return (await http.get(f"/api/v1/citizens/{number}", headers=headers)).status_code


async def writers(audit_dsn: str) -> dict[str, int]:
    async with open_audit_reader(audit_dsn, hmac_key=HMAC_KEY.encode()) as reader:
        counts: dict[str, int] = {}
        async for record in reader.iter_records():
            counts[record.writer_id] = counts.get(record.writer_id, 0) + 1
        return counts


async def spread_until_both_workers_served(
    url: str, audit_dsn: str, client_id: str, number: str
) -> int:
    """Look-ups on fresh connections until both workers have audited one; how many were sent."""
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        headers = await token(http, client_id)
    sent, deadline = 0, time.monotonic() + 30
    while time.monotonic() < deadline:
        statuses = await asyncio.gather(
            *(lookup_on_fresh_connection(url, headers, number) for _ in range(16))
        )
        assert set(statuses) == {200}, statuses
        sent += len(statuses)
        if len(await writers(audit_dsn)) == 2:
            return sent
    pytest.fail("one worker took every connection for 30 s")


async def burst_of_limited_lookups(url: str, client_id: str, number: str) -> tuple[int, float]:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        headers = await token(http, client_id)
    started = time.monotonic()
    statuses = await asyncio.gather(
        *(lookup_on_fresh_connection(url, headers, number) for _ in range(40))
    )
    assert set(statuses) <= {200, 429}, statuses
    return statuses.count(200), time.monotonic() - started


def lookups_counted(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "lgsp_http_requests"
        for sample in family.samples
        if sample.name == "lgsp_http_requests_total" and sample.labels["route"] == LOOKUP_ROUTE
    )


async def test_two_workers_serve_with_their_own_chains_and_one_limit(tmp_path: Path) -> None:
    postgres_dsn, redis_url = await postgres_dsn_or_skip(), await redis_url_or_skip()
    schema = f"workers_{uuid.uuid4().hex[:12]}"
    free_id, limited_id = f"free-{uuid.uuid4().hex[:8]}", f"limited-{uuid.uuid4().hex[:8]}"
    save_clients(
        tmp_path / "clients.yaml",
        [
            client(free_id, rate_per_s=1_000_000.0, burst=1_000_000),
            client(limited_id, rate_per_s=RATE_PER_S, burst=BURST),
        ],
    )
    audit_dsn = f"{postgres_dsn}?schema={schema}"
    env = {
        "LGSP_CLIENTS_FILE": str(tmp_path / "clients.yaml"),
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_AUDIT_HMAC_KEY": HMAC_KEY,
        "LGSP_AUDIT_WRITER_ID": WRITER,
        "LGSP_JOBS_DSN": f"{postgres_dsn}?schema={schema}_jobs",
        "LGSP_JOBS_WORKER": "false",
        "LGSP_RATE_LIMIT_BACKEND": "redis",
        "LGSP_REDIS_URL": redis_url,
        "LGSP_LOG_FORMAT": "json",
    }
    try:
        with supervised_gateway(tmp_path, env) as (url, mock_url):
            number = await sample_number(mock_url)
            sent = await spread_until_both_workers_served(url, audit_dsn, free_id, number)
            allowed, elapsed_s = await burst_of_limited_lookups(url, limited_id, number)
            counted = lookups_counted(url)
        async with open_audit_reader(audit_dsn, hmac_key=HMAC_KEY.encode()) as reader:
            report = await reader.verify()
        chains = await writers(audit_dsn)
    finally:
        await drop_schemas(postgres_dsn, schema, f"{schema}_jobs")

    assert set(chains) == {f"{WRITER}-w0", f"{WRITER}-w1"}
    assert report.ok, report
    assert BURST <= allowed <= BURST + int(RATE_PER_S * elapsed_s) + 1  # one limit, not two
    assert counted == sent + 40  # any worker's scrape counts both workers' requests


def test_workers_with_in_process_limits_are_refused(tmp_path: Path) -> None:
    """Each worker would grant the whole rate: a one-line refusal naming the variable, exit 2."""
    result = subprocess.run(
        [*LGSP, "serve", "--port", str(free_port()), "--workers", "2"],
        env={"PATH": "/usr/bin:/bin", "LGSP_RATE_LIMIT_BACKEND": "memory", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "LGSP_RATE_LIMIT_BACKEND=redis" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
