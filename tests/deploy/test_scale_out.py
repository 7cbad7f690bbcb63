"""Two gateway replicas behind nginx, as deploy/compose.yaml runs them, without Docker.

nginx on a free loopback port balances two ``lgsp serve`` processes that share one PostgreSQL
audit store (a schema of their own per run), one Redis rate limit and one ``lgsp mock``. Under
concurrent load through the proxy: the client's limit holds across replicas (about ``burst``
allowed, not twice that), each replica fetches at most one NGSP token, every answered look-up
is in the audit trail, and each replica's hash chain verifies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.audit import open_audit_reader
from gateway.security.clients import Operation, save_clients
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, running
from tests.services import drop_schemas, postgres_dsn_or_skip, redis_url_or_skip, require_or_skip

pytestmark = [pytest.mark.services, pytest.mark.process]

BURST = 6
RATE_PER_S = 0.5
REQUESTS = 40
HMAC_KEY = "scale-out-test-audit-hmac-key-0123456789"
SECRET = "scale-out-test-client-secret"
REPLICAS = ("replica-1", "replica-2")

NGINX_CONF = """\
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$upstream_addr $status';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream lgsp_gateway {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://lgsp_gateway;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Stack:
    proxy_url: str
    mock_url: str
    audit_dsn: str
    client_id: str
    access_log: Path  # "<replica address> <status>" per request, once nginx stopped
    replica_addresses: tuple[str, ...]


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        require_or_skip("nginx is not installed (apt-get install nginx-light)")
    return found


def write_nginx_conf(workdir: Path, port: int, upstreams: list[str]) -> Path:
    workdir.mkdir()
    servers = "\n".join(f"        server {address};" for address in upstreams)
    # As root, nginx's workers would switch to "nobody", who cannot enter pytest's tmp folder.
    user = "user root;" if os.geteuid() == 0 else ""
    text = NGINX_CONF.format(user=user, dir=workdir, servers=servers, port=port)
    (workdir / "nginx.conf").write_text(text, "utf-8")
    return workdir


def write_clients(path: Path, client_id: str) -> None:
    """One client with a small burst and a slow refill, so the limit shows within a second."""
    client = client_record(
        client_id,
        secret=SECRET,
        name="Scale-out test portal",
        operations=frozenset({Operation.LOOKUP}),
        rate_per_s=RATE_PER_S,
        burst=BURST,
    )
    save_clients(path, [client])


@contextmanager
def stack(tmp: Path, postgres_dsn: str, redis_url: str, schema: str) -> Iterator[Stack]:
    nginx = nginx_binary()
    client_id = f"scale-{uuid.uuid4().hex[:12]}"  # fresh Redis bucket per run
    write_clients(tmp / "clients.yaml", client_id)
    mock_port, proxy_port = free_port(), free_port()
    gateway_ports = [free_port() for _ in REPLICAS]
    mock_url = f"http://127.0.0.1:{mock_port}"
    audit_dsn = f"{postgres_dsn}?schema={schema}"
    common = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_CLIENTS_FILE": str(tmp / "clients.yaml"),
        "LGSP_TOKEN_SIGNING_KEY": "scale-out-test-token-signing-key-0123456789",
        "LGSP_AUDIT_HMAC_KEY": HMAC_KEY,
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_JOBS_DSN": f"{postgres_dsn}?schema={schema}_jobs",
        "LGSP_JOBS_WORKER": "false",
        "LGSP_RATE_LIMIT_BACKEND": "redis",
        "LGSP_REDIS_URL": redis_url,
        "LGSP_MAINTENANCE_FILE": str(tmp / "maintenance.json"),
        "LGSP_LOG_FORMAT": "json",
        "LGSP_MOCK_POPULATION_SIZE": "50000",
    }
    with ExitStack() as stop_all:
        mock_cmd = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(mock_port)]
        ready = f"{mock_url}/__admin/citizens/sample?n=1"
        stop_all.enter_context(running(mock_cmd, common, ready, tmp / "mock.log"))
        for writer_id, port in zip(REPLICAS, gateway_ports, strict=True):
            cmd = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
            env = {**common, "LGSP_AUDIT_WRITER_ID": writer_id}
            url = f"http://127.0.0.1:{port}/healthz"
            stop_all.enter_context(running(cmd, env, url, tmp / f"{writer_id}.log"))
        addresses = tuple(f"127.0.0.1:{port}" for port in gateway_ports)
        conf_dir = write_nginx_conf(tmp / "nginx", proxy_port, list(addresses))
        proxy_cmd = [nginx, "-p", str(conf_dir), "-c", "nginx.conf", "-g", "daemon off;"]
        proxy_url = f"http://127.0.0.1:{proxy_port}"
        stop_all.enter_context(running(proxy_cmd, {}, f"{proxy_url}/healthz", tmp / "nginx.log"))
        yield Stack(proxy_url, mock_url, audit_dsn, client_id, conf_dir / "access.log", addresses)


@dataclass(frozen=True)
class LoadResult:
    statuses: dict[str, int]  # request id -> HTTP status
    elapsed_s: float

    def with_status(self, status: int) -> set[str]:
        return {rid for rid, code in self.statuses.items() if code == status}


async def fire_lookups(proxy_url: str, client_id: str, number: str) -> LoadResult:
    """``REQUESTS`` look-ups at once through the proxy, each with its own X-Request-ID."""
    async with httpx.AsyncClient(base_url=proxy_url, timeout=20) as client:
        token_answer = await client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, SECRET),
        )
        assert token_answer.status_code == 200, token_answer.text
        token = token_answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}

        async def one(request_id: str) -> tuple[str, int]:
            answer = await client.get(
                f"/api/v1/citizens/{number}", headers={**headers, "X-Request-ID": request_id}
            )
            return request_id, answer.status_code

        started = time.monotonic()
        ids = [f"scale-{uuid.uuid4().hex}" for _ in range(REQUESTS)]
        pairs = await asyncio.gather(*(one(rid) for rid in ids))
        return LoadResult(dict(pairs), time.monotonic() - started)


async def mock_admin(mock_url: str, path: str, params: dict[str, str | int]) -> Any:
    async with httpx.AsyncClient(base_url=mock_url, timeout=10) as client:
        answer = await client.get(f"/__admin/{path}", params=params)
        answer.raise_for_status()
        return answer.json()


async def test_two_replicas_behind_nginx_share_limits_tokens_and_audit(
    tmp_path: Path,
) -> None:
    """One rate limit, one NGSP token per replica, no lost audit record, chains intact."""
    postgres_dsn, redis_url = await postgres_dsn_or_skip(), await redis_url_or_skip()
    schema = f"scale_out_{uuid.uuid4().hex[:12]}"
    try:
        with stack(tmp_path, postgres_dsn, redis_url, schema) as running_stack:
            sample = await mock_admin(running_stack.mock_url, "citizens/sample", {"n": 1})
            number = sample[0]["personal_id"]
            load = await fire_lookups(running_stack.proxy_url, running_stack.client_id, number)
            journal = await mock_admin(running_stack.mock_url, "journal", {"operation": "token"})
        served_by = {line.split()[0] for line in running_stack.access_log.read_text().splitlines()}
        assert served_by == set(running_stack.replica_addresses)  # both replicas took load
        await check_outcome(load, journal, running_stack.audit_dsn)
    finally:
        await drop_schemas(postgres_dsn, schema)


async def check_outcome(load: LoadResult, journal: dict[str, object], audit_dsn: str) -> None:
    allowed, limited = load.with_status(200), load.with_status(429)
    assert allowed | limited == set(load.statuses), load.statuses
    refill = int(RATE_PER_S * load.elapsed_s) + 1
    assert BURST <= len(allowed) <= BURST + refill, (len(allowed), load.elapsed_s)

    assert 1 <= int(str(journal["count"])) <= len(REPLICAS), journal

    async with open_audit_reader(audit_dsn, hmac_key=HMAC_KEY.encode()) as reader:
        records = [record async for record in reader.iter_records()]
        report = await reader.verify()
    audited = {record.request_id for record in records}
    assert allowed <= audited, allowed - audited
    # Which replica won the burst is up to timing; only the two replicas may have written.
    assert {record.writer_id for record in records} <= set(REPLICAS)
    assert report.ok, report
    assert report.records_checked == len(records)
