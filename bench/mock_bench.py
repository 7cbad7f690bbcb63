"""Benchmark of the mock national side: start-up at national scale, and look-ups per second.

Run: ``python -m bench.mock_bench [--population-size 10000000] [--seconds 10]``. It measures

1. start-up: a fresh process builds the population of the given size, creates the app and answers
   one look-up; time and peak RSS of that process;
2. throughput: the mock served by ``lgsp mock``'s uvicorn in its own process on a loopback port,
   driven by an aiohttp client (another process) with authenticated ``TraCuuThongTinCongDan``
   look-ups of known citizens; requests/s, p50 and p99 latency, and the server's RSS after.

The numbers are printed as JSON and written to ``bench/results/mock.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "mock.json"
ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:dan="http://dancuquocgia.bca"><soapenv:Header/><soapenv:Body>'
    "<dan:TraCuuThongTinCongDan><dan:MaYeuCau>bench-{n}</dan:MaYeuCau><dan:MaDVC>1.001612</dan:MaDVC>"
    "<dan:MaTichHop>LGSP-BENCH</dan:MaTichHop><dan:MaCanBo>bench</dan:MaCanBo>"
    "<dan:SoDinhDanh>{pid}</dan:SoDinhDanh></dan:TraCuuThongTinCongDan>"
    "</soapenv:Body></soapenv:Envelope>"
)
STARTUP_CODE = """
import json, resource, sys, time
started = time.perf_counter()
from mocks.app import create_mock_app
from mocks.settings import MockSettings
app = create_mock_app(MockSettings(population_size={size}, seed=2021))
population = app.state.population
someone = population.sample(1)[0]
assert population.get(someone.personal_id) == someone
elapsed = time.perf_counter() - started
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": round(elapsed, 3), "peak_rss_mb": round(rss_mb, 1),
                  "citizens": population.size, "households": population.census.households}}))
"""


def measure_startup(size: int) -> dict[str, Any]:
    code = STARTUP_CODE.format(size=size)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(base: str, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/__admin", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the mock did not start")


def _sample_ids(base: str, distinct: int) -> list[str]:
    """Known citizens from the sample endpoint, 1,000 per page."""
    ids: list[str] = []
    for page in range(distinct // 1000 + 1):
        params = {"n": min(1000, distinct - len(ids)), "page": page}
        if params["n"] <= 0:
            break
        people = httpx.get(f"{base}/__admin/citizens/sample", params=params, timeout=120).json()
        ids.extend(person["personal_id"] for person in people)
    return ids


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by a process."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _drive(base: str, ids: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        basic = base64.b64encode(b"lgsp-dev-key:lgsp-dev-secret").decode()
        async with session.post(
            f"{base}/token",
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials"},
        ) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/xml"}
        latencies: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds
        rng = random.Random(1)

        async def worker() -> None:
            nonlocal errors
            n = 0
            while time.perf_counter() < stop:
                n += 1
                body = ENVELOPE.format(n=n, pid=rng.choice(ids))
                started = time.perf_counter()
                async with session.post(
                    f"{base}/dancu/1.0/CongDan", data=body, headers=headers
                ) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1e3, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1e3, 2),
        "concurrency": concurrency,
    }


def measure_throughput(
    size: int, seconds: float, concurrency: int, distinct: int
) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cli = "from mocks.cli import mock_app; mock_app(prog_name='lgsp mock')"
    command = [sys.executable, "-c", cli, "--port", str(port), "--population-size", str(size)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(base)
        ids = _sample_ids(base, distinct)
        cpu_before = _cpu_s(server.pid)
        result = asyncio.run(_drive(base, ids, seconds, concurrency))
        server_cpu = _cpu_s(server.pid) - cpu_before
        # Requests per CPU-second of the server: its capacity on one core, whatever the load
        # generator and the other processes of a shared machine take.
        result["server_cpu_s"] = round(server_cpu, 2)
        result["requests_per_server_cpu_s"] = round(result["requests"] / server_cpu, 1)
        result["server_rss_mb"] = round(_rss_mb(server.pid), 1)
        result["distinct_ids"] = len(ids)
        return result
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population-size", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--distinct",
        type=int,
        default=1000,
        help="distinct ids looked up (above ~8,000 the "
        "caches miss and every look-up rebuilds a family)",
    )
    args = parser.parse_args()
    results = {
        "population_size": args.population_size,
        "cpus": os.cpu_count(),
        "startup": measure_startup(args.population_size),
        "lookup": measure_throughput(
            args.population_size, args.seconds, args.concurrency, args.distinct
        ),
        "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
