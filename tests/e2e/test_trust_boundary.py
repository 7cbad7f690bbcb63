"""The trust boundary, attacked from outside over real sockets (issue #15).

A hostile caller with no credentials must neither stall the gateway nor learn from it: a flood of
wrong secrets leaves look-ups alone, an address that keeps failing gets 429, the three kinds of
rejected client are byte-identical, an absurd cursor is a 422 on both stores, and a refused
production start never prints a secret it was given.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.security.clients import ClientRecord, Operation, hash_secret, save_clients
from gateway.security.secret_hash import legacy_hash
from tests.clients import client_record
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import LGSP, free_port, gateway_and_mock, running
from tests.services import drop_schemas, postgres_dsn_or_skip

pytestmark = pytest.mark.process

SECRET = "portal-secret-0123456789-abcdefghijklmnopqrstuvw"
# Headers that differ per answer by design; every other header must be identical.
_PER_ANSWER = {"date", "x-request-id", "traceparent"}

# A checkpoint signing key (Ed25519 seed, base64), which production requires (issue #16).
SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def _client(client_id: str, stored: str, *ops: Operation, enabled: bool = True) -> ClientRecord:
    return client_record(
        client_id,
        secret_hash=stored,
        enabled=enabled,
        operations=frozenset(ops or {Operation.LOOKUP}),
        rate_per_s=1000.0,
        burst=1000,
    )


def _clients_file(workdir: Path) -> Path:
    """A registry as an operator has it mid-migration: one old Argon2 entry among fast ones."""
    path = workdir / "clients.yaml"
    save_clients(
        path,
        [
            _client("portal", hash_secret(SECRET)),
            _client("legacy-portal", legacy_hash(SECRET)),
            _client("off-portal", hash_secret(SECRET), enabled=False),
            _client("auditor", hash_secret(SECRET), Operation.AUDIT_READ),
        ],
    )
    return path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """Mock + gateway on SQLite with the failure budgets lifted, so every guess is checked."""
    workdir = tmp_path_factory.mktemp("trust")
    env = {
        "LGSP_CLIENTS_FILE": str(_clients_file(workdir)),
        "LGSP_AUTH_FAILURES_PER_ADDRESS": "10000",  # the largest allowed
        "LGSP_AUTH_FAILURES_PER_CLIENT": "100000",
        "LGSP_MOCK_POPULATION_SIZE": "5000",
    }
    with gateway_and_mock(workdir, **env) as (gateway_url, mock_url):
        yield gateway_url, mock_url, workdir


def _token(client: httpx.Client, client_id: str = "portal") -> str:
    response = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, SECRET)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _lookup_latencies(client: httpx.Client, number: str, token: str, n: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}", **PURPOSE_HEADERS}
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(f"/api/v1/citizens/{number}", headers=headers)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return latencies


def _flood(url: str, stop: threading.Event, statuses: list[int], worker: int) -> None:
    """Wrong secrets, one at a time per worker: an old Argon2 client and unknown ids.

    A guess that waits long in the gateway's queue is abandoned and sent again (the gateway still
    checks the abandoned one), so the flood stays 16 deep and the workers stop promptly.
    """
    client_id = "legacy-portal" if worker % 2 else f"nobody-{worker}"
    with httpx.Client(base_url=url, timeout=2) as client:
        while not stop.is_set():
            try:
                response = client.post(
                    "/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(client_id, "x"),
                )
            except httpx.TimeoutException:
                statuses.append(0)  # abandoned while queued: the gateway still checks it
                continue
            statuses.append(response.status_code)


def _reject(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def test_rejections_are_byte_identical(servers: tuple[str, str, Path]) -> None:
    """Unknown id, disabled client, wrong secret (new and old hash): one status, body, headers."""
    gateway_url, _, _ = servers
    with httpx.Client(base_url=gateway_url) as client:
        answers = {
            "unknown": _reject(client, "no-such-portal", SECRET),
            "disabled": _reject(client, "off-portal", SECRET),
            "wrong-secret": _reject(client, "portal", "not-" + SECRET),
            "wrong-secret-argon2": _reject(client, "legacy-portal", "not-" + SECRET),
        }
    shapes = {
        kind: (
            response.status_code,
            response.content,
            sorted((k, v) for k, v in response.headers.items() if k not in _PER_ANSWER),
        )
        for kind, response in answers.items()
    }
    assert shapes["unknown"][0] == 401
    assert all(shape == shapes["unknown"] for shape in shapes.values()), shapes


def _assert_cursor_refused_and_connection_kept(gateway_url: str) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        headers = {"Authorization": f"Bearer {_token(client, 'auditor')}"}
        refused = client.get(
            "/api/v1/audit/records", params={"cursor": str(2**64)}, headers=headers
        )
        after = client.get("/api/v1/audit/records", params={"limit": 1}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_field"
    assert after.status_code == 200, after.text  # the keep-alive connection still serves


def test_cursor_2_64_is_422_on_sqlite(servers: tuple[str, str, Path]) -> None:
    _assert_cursor_refused_and_connection_kept(servers[0])


def test_wrong_secret_flood_does_not_stall_lookups(servers: tuple[str, str, Path]) -> None:
    """16 concurrent wrong-secret requests: look-ups stay within a generous ratio of idle.

    Before the fix each Argon2 check held the event loop for 150-400 ms, so a look-up waited
    behind the whole queue of them (seconds): a ratio in the hundreds.
    """
    gateway_url, mock_url, _ = servers
    number = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 1}).json()[0][
        "personal_id"
    ]
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        token = _token(client)
        _lookup_latencies(client, number, token, 5)  # warm up connections and caches
        idle = statistics.median(_lookup_latencies(client, number, token, 15))
        stop, statuses = threading.Event(), list[int]()
        flooders = [
            threading.Thread(target=_flood, args=(gateway_url, stop, statuses, i))
            for i in range(16)
        ]
        for thread in flooders:
            thread.start()
        try:
            time.sleep(0.5)  # let the flood fill the gateway's queue of checks
            flooded = statistics.median(_lookup_latencies(client, number, token, 15))
        finally:
            stop.set()
            for thread in flooders:
                thread.join(10)
    assert len(statuses) >= 16, "the flood did not run"
    assert set(statuses) <= {0, 401, 429}  # 429: more guesses queued than the gateway will hold
    print(f"idle {idle * 1e3:.1f} ms, flooded {flooded * 1e3:.1f} ms, {statuses.count(401)} 401s")
    assert flooded < 20 * idle, f"median look-up {flooded / idle:.1f}x idle under the flood"


PLANTED = f"PLANTED{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def pg_gateway(servers: tuple[str, str, Path]) -> Iterator[tuple[str, Path]]:
    """A second gateway: production mode, secrets planted, PostgreSQL audit, default budgets."""
    _, mock_url, workdir = servers
    base = asyncio.run(postgres_dsn_or_skip())
    schema = f"trust_{uuid.uuid4().hex[:12]}"
    port = free_port()
    env = {
        "LGSP_ENV": "production",
        "LGSP_AUDIT_HMAC_KEY": PLANTED + "-audit",
        "LGSP_TOKEN_SIGNING_KEY": PLANTED + "-signing",
        "LGSP_NGSP_CONSUMER_SECRET": PLANTED + "-ngsp",
        "LGSP_ADMIN_TOKEN": PLANTED + "-admin",
        "LGSP_AUDIT_SIGNING_KEY": SIGNING_KEY,
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": f"{base}?schema={schema}",
        "LGSP_JOBS_DSN": f"sqlite:///{workdir / 'jobs-pg.sqlite3'}",
        "LGSP_CLIENTS_FILE": str(workdir / "clients.yaml"),
        "LGSP_AUTH_FAILURES_PER_ADDRESS": "5",
        "LGSP_LOG_FORMAT": "json",
    }
    url = f"http://127.0.0.1:{port}"
    log = workdir / "gateway-pg.log"
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    try:
        with running(command, env, f"{url}/healthz", log):
            yield url, log
    finally:
        asyncio.run(drop_schemas(base, schema))


@pytest.mark.services
def test_cursor_2_64_is_422_on_postgres(pg_gateway: tuple[str, Path]) -> None:
    _assert_cursor_refused_and_connection_kept(pg_gateway[0])


@pytest.mark.services
def test_an_address_that_keeps_failing_gets_429_and_others_do_not(
    pg_gateway: tuple[str, Path],
) -> None:
    """The guesser (127.0.0.2) is refused, even with the right secret; the portal is not."""
    url, _ = pg_gateway
    attacker = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=url, transport=attacker) as client:
        statuses = [_reject(client, "portal", "guess").status_code for _ in range(6)]
        refused = _reject(client, "portal", SECRET)
    assert statuses == [401] * 5 + [429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["code"] == "auth_throttled"
    with httpx.Client(base_url=url) as portal:  # 127.0.0.1
        assert _token(portal)


@pytest.mark.services
def test_a_production_gateway_logs_none_of_its_secrets(pg_gateway: tuple[str, Path]) -> None:
    """After serving the tests above (tokens, refusals, 429s), its log holds no planted secret."""
    url, log = pg_gateway
    with httpx.Client(base_url=url) as client:
        assert _reject(client, "portal", PLANTED + "-guess").status_code == 401
    output = log.read_text(encoding="utf-8")
    assert "request_completed" in output  # the log is being written, so the scan means something
    _assert_never_shown(output, PLANTED)


def test_refused_production_start_never_prints_a_planted_secret(tmp_path: Path) -> None:
    """Unsafe production settings: exit 2, one line per problem, no secret or part of one."""
    planted = f"PLANTED{uuid.uuid4().hex}"
    env = {
        "LGSP_ENV": "production",
        "LGSP_AUDIT_HMAC_KEY": planted,
        "LGSP_TOKEN_SIGNING_KEY": planted[:20],  # too short: refused
        "LGSP_NGSP_CONSUMER_SECRET": planted + "-ngsp",
        "LGSP_NGSP_BASE_URL": f"user:{planted}@127.0.0.1:9000",  # not a URL
        "LGSP_CLIENTS_FILE": str(tmp_path / "clients.yaml"),
        "LGSP_AUDIT_SIGNING_KEY": SIGNING_KEY,
    }
    result = subprocess.run(
        [*LGSP, "serve", "--port", str(free_port())],
        env={**_clean_env(), **env},
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 2, output
    assert "LGSP_TOKEN_SIGNING_KEY" in output
    assert "LGSP_NGSP_BASE_URL" in output
    assert len(output.strip().splitlines()) == 2, output
    _assert_never_shown(output, planted)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}


def _assert_never_shown(output: str, planted: str) -> None:
    # pydantic's echo showed the *last* characters of a value, so look for any 12-char piece.
    pieces = {planted[i : i + 12] for i in range(len(planted) - 11)}
    leaked = sorted(piece for piece in pieces if piece in output)
    assert not leaked, f"secret fragments printed: {len(leaked)}"
