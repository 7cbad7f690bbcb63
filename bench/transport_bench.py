"""Transport benchmark: httpx's own pool against the aiohttp-backed transport, for NGSP look-ups.

Run: ``.venv/bin/python -m bench.transport_bench`` (``--help`` for options). A uvicorn server
(uvloop + httptools) in a subprocess on loopback answers the token request and every SOAP call
with the golden ``lookup-found-live.xml``: a server that costs next to nothing, so the numbers
show the client side. This process runs ``NgspClient.lookup_citizen`` (token, SOAP build, POST,
parse, resilience stack) with N concurrent workers for a fixed time through each transport, and
reports look-ups/s with p50/p99 latency. ``--mode post`` sends bare POSTs instead (no token,
no SOAP, no parsing) to isolate the transport. Client and server share this machine's 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.ngsp import CallContext, NgspClient, NgspConfig, TransportKind, create_http_client

_EXAMPLES = Path(__file__).resolve().parents[1] / "contracts" / "examples"
_ANSWER = (_EXAMPLES / "lookup-found-live.xml").read_bytes()
_TOKEN = b'{"access_token":"bench","token_type":"Bearer","expires_in":3600}'


async def golden_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The cheapest national side: one canned answer per path. Served by uvicorn."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    is_token = scope["path"] == "/token"
    body, kind = (_TOKEN, b"application/json") if is_token else (_ANSWER, b"text/xml")
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Result:
    transport: str
    concurrency: int
    done: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[q - 1]

    def row(self) -> str:
        return (
            f"| {self.transport} | {self.concurrency} | {self.rate:,.0f} | "
            f"{self.percentile(50):.1f} | {self.percentile(99):.1f} |"
        )


@contextlib.contextmanager
def golden_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "bench.transport_bench:golden_app",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    process = subprocess.Popen(command)
    try:
        _wait_listening(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_listening(port: int, limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("the benchmark server did not start")


Operation = Callable[[int], Awaitable[object]]


async def measure(
    url: str, kind: TransportKind, concurrency: int, seconds: float, mode: str
) -> Result:
    config = NgspConfig(url, "bench", "bench", max_attempts=1, deadline_s=30, attempt_timeout_s=30)
    async with create_http_client(kind, max_connections=100) as http:
        operation = _lookup(NgspClient(config, http)) if mode == "lookup" else _post(http, url)
        await _run(operation, concurrency, min(1.0, seconds / 3), [])  # warm-up: pool, token
        latencies: list[float] = []
        started = time.perf_counter()
        await _run(operation, concurrency, seconds, latencies)
        elapsed = time.perf_counter() - started
    return Result(kind, concurrency, len(latencies), elapsed, latencies)


def _lookup(client: NgspClient) -> Operation:
    async def lookup(n: int) -> object:
        ctx = CallContext(request_id=f"bench-{n}", purpose_code="1.001612", officer_id="bench")
        return await client.lookup_citizen("054092000123", ctx)

    return lookup


def _post(http: httpx.AsyncClient, url: str) -> Operation:
    async def post(n: int) -> object:
        response = await http.post(f"{url}/dancu/1.0/CongDan", content=b"<x/>")
        return response.content

    return post


async def _run(operation: Operation, concurrency: int, seconds: float, out: list[float]) -> None:
    stop_at = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        while (now := time.perf_counter()) < stop_at:
            await operation(n)
            out.append((time.perf_counter() - now) * 1000)

    await asyncio.gather(*(worker(n) for n in range(concurrency)))


async def main(args: argparse.Namespace) -> None:
    print(f"httpx {importlib.metadata.version('httpx')}, httpcore "
          f"{importlib.metadata.version('httpcore')}, httpx-aiohttp "
          f"{importlib.metadata.version('httpx-aiohttp')}, aiohttp "
          f"{importlib.metadata.version('aiohttp')}, sniffio "
          f"{importlib.metadata.version('sniffio')}; {args.seconds:g} s per cell, "
          f"mode {args.mode}")  # fmt: skip
    unit = "look-ups/s" if args.mode == "lookup" else "POSTs/s"
    print(f"| transport | concurrency | {unit} | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    with golden_server() as url:
        for concurrency in args.concurrency:
            for kind in args.transports:
                result = await measure(url, kind, concurrency, args.seconds, args.mode)
                print(result.row(), flush=True)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per cell")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 100])
    parser.add_argument("--transports", nargs="+", default=["httpx", "aiohttp"])
    parser.add_argument("--mode", choices=["lookup", "post"], default="lookup")
    return parser.parse_args(argv)


if __name__ == "__main__":
    import uvloop  # the gateway runs under uvicorn[standard]: measure on the same loop

    uvloop.run(main(_parse()))
