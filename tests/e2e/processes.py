"""Start the real servers as processes on free loopback ports, and stop them afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

LGSP = [sys.executable, "-m", "gateway.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """Poll ``url`` until it answers 200, the process dies, or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before serving {url}")
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


@contextmanager
def running(
    args: list[str], env: dict[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_until_serving(ready_url, process)
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextmanager
def gateway_and_mock(workdir: Path, **extra_env: str) -> Iterator[tuple[str, str]]:
    """The mock national side and a gateway as processes; yields (gateway URL, mock URL)."""
    mock_port, gateway_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        "LGSP_AUDIT_DSN": f"sqlite:///{workdir / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{workdir / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
        "LGSP_MOCK_POPULATION_SIZE": "50000",
        **extra_env,
    }
    mock_cmd = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(mock_port)]
    gateway_cmd = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
    with (
        running(mock_cmd, env, f"{mock_url}/__admin/citizens/sample?n=1", workdir / "mock.log"),
        running(gateway_cmd, env, f"{gateway_url}/healthz", workdir / "gateway.log"),
    ):
        yield gateway_url, mock_url
