"""A ratio guard against the concurrency collapse of design §7 (docs/performance.md, "Gateway").

The real gateway and mock run as processes; an aiohttp client (not httpx, whose own pool is the
thing that collapses) drives look-ups in a closed loop for a short while at low and at high
concurrency, twice each, alternating. Only ratios are asserted, never absolute speed, and each on
the *better* of the two runs: other work on a busy machine can only make a run look worse, so a
guard that fails on the better run has seen a real collapse. With httpx's own transport
(``LGSP_NGSP_TRANSPORT=httpx``) the gateway fails it; with the production transport it passes with
room to spare.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest

from bench.fleet import portal_headers, unlimited_clients
from tests.e2e.processes import gateway_and_mock

pytestmark = [pytest.mark.process, pytest.mark.slow]

LOW, HIGH = 8, 64
SECONDS = 1.5
ROUNDS = 2


@dataclass(frozen=True)
class Gateway:
    url: str
    headers: dict[str, str]  # the demo portal's token and the purpose headers
    numbers: list[str]  # citizens the mock knows


@dataclass(frozen=True)
class Load:
    per_second: float
    p50_s: float
    p99_s: float


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _drive(gateway: Gateway, clients: int) -> Load:
    """``clients`` callers each send a look-up as soon as the previous one answered."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + SECONDS
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=gateway.headers) as http:

        async def caller(offset: int) -> None:
            sent = 0
            while time.perf_counter() < stop_at:
                number = gateway.numbers[(offset + sent * clients) % len(gateway.numbers)]
                started = time.perf_counter()
                async with http.get(f"{gateway.url}/api/v1/citizens/{number}") as answer:
                    await answer.read()
                    assert answer.status == 200, answer.status
                latencies.append(time.perf_counter() - started)
                sent += 1

        started = time.perf_counter()
        await asyncio.gather(*(caller(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Load(len(latencies) / elapsed, _percentile(latencies, 0.5), _percentile(latencies, 0.99))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Gateway and mock; the demo portal without its rate limit, audit and logs out of the way."""
    workdir: Path = tmp_path_factory.mktemp("guard")
    with gateway_and_mock(
        workdir,
        LGSP_CLIENTS_FILE=str(unlimited_clients(workdir)),
        LGSP_AUDIT_DSN="none:",  # audit waits pace the callers and would hide the pool's tail
        LGSP_LOG_LEVEL="warning",
    ) as (gateway_url, mock_url):
        sample = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 200}).json()
        numbers = [person["personal_id"] for person in sample]
        yield Gateway(gateway_url, portal_headers(gateway_url), numbers)


async def test_throughput_and_tail_hold_up_at_high_concurrency(gateway: Gateway) -> None:
    """64 concurrent callers keep at least half the throughput of 8, and their p99 stays within
    3x their p50. Measured here on 2 cores, better runs: the aiohttp transport kept ≈ 100 % with
    p99 ≈ 1.3x p50; httpx's own pool kept 75-95 % but its unfair pool stretched p99 to 4.7-5.3x
    p50 (design §7), so the tail is what catches it."""
    await _drive(gateway, LOW)  # warm-up: pools, caches
    runs: dict[int, list[Load]] = {LOW: [], HIGH: []}
    for _ in range(ROUNDS):
        for clients in (LOW, HIGH):
            runs[clients].append(await _drive(gateway, clients))
    best_low = max(load.per_second for load in runs[LOW])
    best_high = max(load.per_second for load in runs[HIGH])
    best_tail = min(load.p99_s / load.p50_s for load in runs[HIGH])
    assert best_high >= 0.5 * best_low, runs
    assert best_tail <= 3, runs
