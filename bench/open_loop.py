"""Open-loop load at a fixed rate, timed from each request's *intended* send time.

A closed loop (wrk) waits for an answer before it sends again, so a stalled server also stalls
the load and its slow moments are under-sampled (coordinated omission). Here request *i* is due
at ``start + i / rate`` whatever happened before; its latency runs from that due time to the
end of its answer, so time spent queued behind a stall counts. The generator checks itself:
``lag`` is how late it actually sent (its own scheduling delay, also counted in the latency), and
``cpu`` the share of a core it used; both are reported so a saturated generator shows.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass

import aiohttp
import uvloop

from bench.target import Target

__all__ = ["OpenLoopResult", "percentile", "run_open_loop"]

_MAX_IN_FLIGHT = 2000  # beyond this the server has fallen over; more sockets only hide it


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class OpenLoopResult:
    rate: float  # asked for, requests/s
    sent_per_s: float
    answered: int
    errors: int  # failed connections, time-outs and non-2xx answers
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    lag_p99_ms: float  # the generator's own lateness in sending
    generator_cpu: float  # share of one core the generator used


@dataclass
class _Tally:
    latencies: list[float]
    lags: list[float]
    errors: int = 0


async def _send(
    http: aiohttp.ClientSession, target: Target, index: int, due: float, tally: _Tally | None
) -> None:
    request = target.requests[index % len(target.requests)]
    lag = time.perf_counter() - due
    try:
        async with http.request(
            request.method, target.url + request.path, data=request.body or None
        ) as answer:
            await answer.read()
            ok = answer.status < 300
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    if tally is not None:
        tally.lags.append(lag)
        tally.latencies.append(time.perf_counter() - due)
        tally.errors += not ok


async def _drive(target: Target, rate: float, seconds: float, warmup_s: float) -> OpenLoopResult:
    tally = _Tally([], [])
    connector = aiohttp.TCPConnector(limit=_MAX_IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, headers=target.headers, timeout=timeout
    ) as http:
        in_flight: set[asyncio.Task[None]] = set()
        total = round(rate * (warmup_s + seconds))
        warm = round(rate * warmup_s)
        cpu_started, start = time.process_time(), time.perf_counter() + 0.05
        for i in range(total):
            due = start + i / rate
            if (ahead := due - time.perf_counter()) > 0:
                await asyncio.sleep(ahead)
            task = asyncio.create_task(_send(http, target, i, due, tally if i >= warm else None))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        sent_for = time.perf_counter() - start
        await asyncio.gather(*in_flight)
        cpu = (time.process_time() - cpu_started) / (time.perf_counter() - start)
    latencies = sorted(x * 1000 for x in tally.latencies)
    lags = sorted(x * 1000 for x in tally.lags)
    return OpenLoopResult(
        rate=rate,
        sent_per_s=total / sent_for,
        answered=len(latencies),
        errors=tally.errors,
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
        p999_ms=percentile(latencies, 99.9),
        lag_p99_ms=percentile(lags, 99),
        generator_cpu=cpu,
    )


def run_open_loop(
    target: Target, rate: float, seconds: float, warmup_s: float = 2.0
) -> OpenLoopResult:
    """``rate`` requests/s for ``warmup_s`` (not measured) then ``seconds`` (measured).

    What this process already holds is frozen out of the collector's sight first: a full
    collection of it took tens of ms, delayed every send due meanwhile and counted as the server's
    latency (the gateway does the same at start-up, ``gateway.serve.freeze_startup_objects``).
    """
    gc.collect()
    gc.freeze()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_drive(target, rate, seconds, warmup_s))
