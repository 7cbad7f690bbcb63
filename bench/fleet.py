"""The processes a gateway benchmark runs against, each pinned to its core.

Layout on two cores: the server under test (the gateway, the B1/B2 reference apps, or the mock
when S0 measures the mock itself) on core 0; everything it depends on or is driven by (the
mock behind it, wrk, the open-loop generator, this process) on core 1. PostgreSQL runs
unpinned (its own server processes). On a machine with one core nothing is pinned.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.ngsp import soap
from bench.jobs_bench import LGSP, PURPOSE, free_port, server
from gateway.security.clients import demo_client, save_clients

__all__ = [
    "LOAD_CPU",
    "SERVER_CPU",
    "Endpoint",
    "gateway",
    "mock",
    "mock_headers",
    "pin_self",
    "pinned",
    "portal_headers",
    "reference_app",
    "sample_numbers",
    "soap_lookup",
    "unlimited_clients",
]

SERVER_CPU, LOAD_CPU = "0", "1"
MOCK_KEY, MOCK_SECRET = "lgsp-dev-key", "lgsp-dev-secret"
LOOKUP = soap.Operation.LOOKUP


def _pinning() -> bool:
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pinned(cpu: str, args: list[str]) -> list[str]:
    """``args`` run on core ``cpu`` (taskset execs, so the process id stays the server's)."""
    return ["taskset", "-c", cpu, *args] if _pinning() else args


def pin_self() -> str:
    """Move this process (wrk's parent, the open-loop generator) to the load core."""
    if not _pinning():
        return "not pinned (fewer than 2 cores or no taskset)"
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    return f"servers under test on core {SERVER_CPU}; mock, wrk, generator on core {LOAD_CPU}"


@dataclass(frozen=True)
class Endpoint:
    """A running server: where it listens and its process id (for CPU and memory)."""

    url: str
    pid: int


@contextmanager
def mock(work: Path, name: str, cpu: str, faults: list[dict[str, Any]]) -> Iterator[Endpoint]:
    """``lgsp mock`` on ``cpu`` with ``faults`` installed through its admin API."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = pinned(cpu, [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(port)])
    with server(command, {}, f"{url}/__admin/citizens/sample?n=1", work / f"{name}.log") as pid:
        for rule in faults:
            httpx.post(f"{url}/__admin/faults", json=rule).raise_for_status()
        yield Endpoint(url, pid)


def unlimited_clients(work: Path) -> Path:
    """A clients file holding the demo portal without its rate limit (200/s in dev)."""
    path = work / "clients.yaml"
    unlimited = {"rate_per_s": 1_000_000.0, "burst": 1_000_000}
    save_clients(path, [demo_client().model_copy(update=unlimited)])
    return path


@contextmanager
def gateway(
    work: Path, name: str, mock_url: str, env: dict[str, str], workers: int = 1
) -> Iterator[Endpoint]:
    """``lgsp serve`` on the server core (every core with ``workers`` > 1); ``env`` on top of
    the benchmark's defaults."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    else:
        command = pinned(SERVER_CPU, command)
    defaults = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_CLIENTS_FILE": str(unlimited_clients(work)),
        "LGSP_JOBS_DSN": f"sqlite:///{work / f'{name}-jobs.sqlite3'}",
        "LGSP_AUDIT_WRITER_ID": f"bench-{name}",
    }
    with server(command, {**defaults, **env}, f"{url}/healthz", work / f"{name}.log") as pid:
        yield Endpoint(url, pid)


@contextmanager
def reference_app(
    work: Path, module: str, upstream: str = "", cpu: str = SERVER_CPU
) -> Iterator[Endpoint]:
    """``bench.apps.<module>`` (B1 bare, B2 naive, the OTLP sink) on core ``cpu``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", f"bench.apps.{module}", "--port", str(port)]
    if upstream:
        args += ["--upstream", upstream]
    with server(pinned(cpu, args), {}, f"{url}/healthz", work / f"{module}.log") as pid:
        yield Endpoint(url, pid)


def sample_numbers(mock_url: str, n: int = 200) -> list[str]:
    """Citizen numbers the mock knows (kept in memory and in wrk's input file, never printed)."""
    answer = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": n})
    answer.raise_for_status()
    return [person["personal_id"] for person in answer.json()]


def portal_headers(gateway_url: str) -> dict[str, str]:
    """Bearer token and purpose headers for the demo portal (one Argon2 check, at set-up)."""
    answer = httpx.post(
        f"{gateway_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-portal", "demo-secret"),
        timeout=30,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}", **PURPOSE}


def mock_headers(mock_url: str) -> dict[str, str]:
    """What a SOAP call to the mock needs: an NGSP token and the SOAP headers."""
    answer = httpx.post(
        f"{mock_url}/token", data={"grant_type": "client_credentials"}, auth=(MOCK_KEY, MOCK_SECRET)
    )
    answer.raise_for_status()
    return {
        "Authorization": f"Bearer {answer.json()['access_token']}",
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{LOOKUP}"',
    }


def soap_lookup(number: str, n: int) -> bytes:
    """The adapter's own TraCuuThongTinCongDan request for ``number`` (one line)."""
    request = soap.SoapRequest(
        operation=LOOKUP,
        request_id=f"bench-{n}",
        purpose_code=PURPOSE["X-Purpose-Code"],
        integration_code="LGSP-PY",
        officer_id=PURPOSE["X-Officer-Id"],
        agency_code="000.00.00.H45",
        number=number,
    )
    return soap.build_request(request).replace(b"\n", b"")
