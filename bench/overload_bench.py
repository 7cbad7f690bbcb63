"""Overload benchmark (issue #21): open loop past capacity, with admission control in front.

Run: ``.venv/bin/python -m bench.overload_bench`` (``--help``; ``make bench`` runs it after the
gateway benchmark). Writes ``bench/results/overload.json`` and ``overload.md``, prints the latter.

1. A mock national side answering each look-up after a fixed latency, and a gateway with a small
   admission limit, so capacity is set by the limit (limit ÷ latency) rather than by whatever
   CPU other tenants leave; two portal clients of equal weight.
2. Capacity, measured: ``limit`` callers in a closed loop for ``--seconds``; answers per second.
3. Open loop at 50, 100, 150 and 300 % of that capacity from one client: goodput (200s answered
   within 1 s, per second), p99 of admitted answers, p99 of shed answers (503 ``overloaded``).
   A tenth of the requests at 300 % give up after ``--give-up-ms``: the mock's journal, counted
   by number, shows whether any of those reached NGSP after their caller left the queue.
4. Fairness: the second client alone at 10 % of capacity, then the same while the first floods
   at 300 %; the second client's p99 in both.
5. The issue's targets, met or missed, from this run's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import fleet
from bench.jobs_bench import PURPOSE
from bench.machine import load_average, machine_info
from bench.open_loop import percentile
from gateway.security.clients import demo_client, save_clients

CLIENTS = ("bench-flood", "bench-other")
SHARES = (0.5, 1.0, 1.5, 3.0)
GOOD_S = 1.0  # an answer later than this is no use to a portal: not goodput


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.overload_bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="each measured run")
    parser.add_argument("--limit", type=int, default=4, help="LGSP_ADMISSION_LIMIT")
    parser.add_argument("--latency-ms", type=int, default=100, help="the mock's fixed latency")
    parser.add_argument("--give-up-ms", type=int, default=150, help="impatient callers' time-out")
    parser.add_argument("--output", type=Path, default=Path("bench/results"))
    return parser.parse_args(argv)


@dataclass
class Tally:
    """Answers of one stream: latencies from the intended send time, by kind."""

    ok: list[float] = field(default_factory=list)
    shed: list[float] = field(default_factory=list)
    other: int = 0
    gave_up: int = 0
    sent: int = 0
    left_at: dict[str, float] = field(default_factory=dict)  # request id -> when it gave up

    def summary(self, seconds: float) -> dict[str, Any]:
        ok, shed = sorted(self.ok), sorted(self.shed)
        good = sum(1 for x in ok if x <= GOOD_S)
        return {
            "sent": self.sent,
            "ok": len(ok),
            "shed": len(shed),
            "other": self.other,
            "gave_up": self.gave_up,
            "goodput_per_s": round(good / seconds, 1),
            "ok_p50_ms": round(percentile(ok, 50) * 1000, 2),
            "ok_p99_ms": round(percentile(ok, 99) * 1000, 2),
            "shed_p99_ms": round(percentile(shed, 99) * 1000, 2),
        }


@dataclass(frozen=True)
class Stream:
    url: str
    headers: dict[str, str]
    rate: float
    give_up_s: float = 30.0  # the caller's own time-out
    tag: str = ""  # set: each request carries X-Request-ID tag-i, and give-up times are kept


async def _one(
    http: aiohttp.ClientSession, stream: Stream, index: int, due: float, tally: Tally
) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    timeout = aiohttp.ClientTimeout(total=stream.give_up_s)
    headers = {**stream.headers, "X-Request-ID": f"{stream.tag}-{index}"} if stream.tag else None
    tally.sent += 1
    try:
        async with http.get(
            stream.url, headers=headers or stream.headers, timeout=timeout
        ) as answer:
            await answer.read()
            status = answer.status
    except TimeoutError:
        tally.gave_up += 1
        if stream.tag:
            tally.left_at[f"{stream.tag}-{index}"] = time.time()
        return
    except aiohttp.ClientError:
        tally.other += 1
        return
    took = time.perf_counter() - due
    if status == 200:
        tally.ok.append(took)
    elif status == 503:
        tally.shed.append(took)
    else:
        tally.other += 1


async def _open_loop(streams: list[Stream], seconds: float) -> list[Tally]:
    tallies = [Tally() for _ in streams]
    connector = aiohttp.TCPConnector(limit=2000)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter() + 0.05
        sends = [
            _one(http, stream, i, start + i / stream.rate, tally)
            for stream, tally in zip(streams, tallies, strict=True)
            for i in range(round(stream.rate * seconds))
        ]
        await asyncio.gather(*sends)
    return tallies


def open_loop(streams: list[Stream], seconds: float) -> list[Tally]:
    return asyncio.run(_open_loop(streams, seconds))


async def _closed_loop(url: str, headers: dict[str, str], workers: int, seconds: float) -> int:
    done = 0
    end = time.perf_counter() + seconds
    async with aiohttp.ClientSession() as http:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < end:
                async with http.get(url, headers=headers) as answer:
                    await answer.read()
                    done += answer.status == 200

        await asyncio.gather(*(worker() for _ in range(workers)))
    return done


def capacity(url: str, headers: dict[str, str], workers: int, seconds: float) -> float:
    asyncio.run(_closed_loop(url, headers, workers, 1.0))  # warm-up: pools, token, caches
    return asyncio.run(_closed_loop(url, headers, workers, seconds)) / seconds


def _clients(work: Path) -> Path:
    path = work / "overload-clients.yaml"
    unlimited = {"rate_per_s": 1_000_000.0, "burst": 1_000_000}
    records = [demo_client().model_copy(update={**unlimited, "client_id": c}) for c in CLIENTS]
    save_clients(path, records)
    return path


def _headers(gateway_url: str, client_id: str) -> dict[str, str]:
    answer = httpx.post(
        f"{gateway_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, "demo-secret"),
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}", **PURPOSE}


@contextmanager
def servers(work: Path, args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    latency = {"kind": "latency", "distribution": "fixed", "ms": args.latency_ms}
    faults = [{"match": {"operation": "TraCuuThongTinCongDan"}, "action": latency}]
    with fleet.mock(work, "overload-mock", fleet.LOAD_CPU, faults) as mock:
        env = {
            "LGSP_CLIENTS_FILE": str(_clients(work)),
            "LGSP_AUDIT_DSN": f"sqlite:///{work / 'overload-audit.sqlite3'}",
            "LGSP_ADMISSION_LIMIT": str(args.limit),
            "LGSP_ADMISSION_QUEUE_MAX": str(args.limit),
            "LGSP_JOBS_WORKER": "false",
            "LGSP_LOG_LEVEL": "warning",
        }
        with fleet.gateway(work, "overload", mock.url, env) as gateway:
            yield gateway.url, mock.url


def _journal(mock_url: str, number: str) -> list[tuple[str, float]]:
    """(request id, when the mock began answering) of every call for ``number``."""
    answer = httpx.get(
        f"{mock_url}/__admin/journal", params={"personal_id": number, "limit": 100_000}
    )
    return [
        (entry["request_id"], _epoch(entry["at"]) - entry["duration_ms"] / 1000)
        for entry in answer.json()["entries"]
    ]


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _abandoned_in_flight(gateway_url: str) -> float:
    text = httpx.get(f"{gateway_url}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "lgsp_admission_abandoned_total"
        and sample.labels.get("stage") == "in_flight"
    )


def measure(args: argparse.Namespace, work: Path, results: dict[str, Any]) -> None:
    with servers(work, args) as (gateway_url, mock_url):
        number, impatient = fleet.sample_numbers(mock_url, 2)
        url = f"{gateway_url}/api/v1/citizens/{number}"
        flood = _headers(gateway_url, CLIENTS[0])
        other = _headers(gateway_url, CLIENTS[1])
        cap = capacity(url, flood, args.limit, args.seconds)
        results["capacity_per_s"] = round(cap, 1)
        print(f"capacity {cap:.1f}/s (load {load_average()[0]})", flush=True)
        results["open_loop"] = [
            overload_run(
                gateway_url,
                mock_url,
                share=share,
                cap=cap,
                who=(flood, number, impatient),
                args=args,
            )
            for share in SHARES
        ]
        results["fairness"] = fairness(url, flood, other, cap, args.seconds)


def overload_run(
    gateway_url: str,
    mock_url: str,
    *,
    share: float,
    cap: float,
    who: tuple[dict[str, str], str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One client at ``share`` of capacity; at 300 % a tenth of it gives up after a moment."""
    headers, number, impatient_number = who
    base = f"{gateway_url}/api/v1/citizens/"
    rate = cap * share
    if share < SHARES[-1]:
        [tally] = open_loop([Stream(base + number, headers, rate)], args.seconds)
        return _run_summary(share, rate, tally, args.seconds)
    in_flight_before = _abandoned_in_flight(gateway_url)
    give_up_s = args.give_up_ms / 1000
    patient, impatient = open_loop(
        [
            Stream(base + number, headers, rate * 0.9),
            Stream(base + impatient_number, headers, rate * 0.1, give_up_s, tag="impatient"),
        ],
        args.seconds,
    )
    merged = Tally(patient.ok + impatient.ok, patient.shed + impatient.shed)
    merged.other, merged.sent = patient.other + impatient.other, patient.sent + impatient.sent
    merged.gave_up = impatient.gave_up
    run = _run_summary(share, rate, merged, args.seconds)
    time.sleep(2 * args.latency_ms / 1000 + 0.5)  # let the last calls land in the journal
    calls = _journal(mock_url, impatient_number)
    run["impatient"] = {
        **impatient.summary(args.seconds),
        "ngsp_calls": len(calls),
        "abandoned_in_flight": int(_abandoned_in_flight(gateway_url) - in_flight_before),
        # NGSP calls that began after their caller had given up: the target is 0
        "ngsp_calls_after_caller_left": sum(
            1 for request_id, began in calls if began > impatient.left_at.get(request_id, 1e18)
        ),
    }
    return run


def _run_summary(share: float, rate: float, tally: Tally, seconds: float) -> dict[str, Any]:
    run = {"share": share, "rate": round(rate, 1), **tally.summary(seconds)}
    run["load_average"] = load_average()
    print(f"open loop {share:.0%}: {run}", flush=True)
    return run


def fairness(
    url: str, flood: dict[str, str], other: dict[str, str], cap: float, seconds: float
) -> dict[str, Any]:
    [alone] = open_loop([Stream(url, other, cap * 0.1)], seconds)
    flooding, beside = open_loop(
        [Stream(url, flood, cap * 3), Stream(url, other, cap * 0.1)], seconds
    )
    found = {
        "other_alone": alone.summary(seconds),
        "other_beside_flood": beside.summary(seconds),
        "flood": flooding.summary(seconds),
        "load_average": load_average(),
    }
    print(f"fairness: {found}", flush=True)
    return found


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it was met."""
    cap = results["capacity_per_s"]
    runs = {run["share"]: run for run in results["open_loop"]}
    fair = results["fairness"]
    found = []

    def target(name: str, value: float, limit: float, met: bool) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": met})

    for share in (1.5, 3.0):
        goodput = runs[share]["goodput_per_s"]
        target(
            f"goodput at {share:.0%} ≥ 90 % of capacity", goodput, 0.9 * cap, goodput >= 0.9 * cap
        )
    ratio = runs[1.5]["ok_p99_ms"] / max(runs[0.5]["ok_p99_ms"], 1e-9)
    target("admitted p99 at 150 % ≤ 5 × p99 at 50 %", round(ratio, 2), 5.0, ratio <= 5.0)
    shed_p99 = max(runs[share]["shed_p99_ms"] for share in runs)
    target("shed answers p99 ≤ 5 ms", shed_p99, 5.0, shed_p99 <= 5.0)
    late = runs[3.0]["impatient"]["ngsp_calls_after_caller_left"]
    target("NGSP calls begun after the caller left = 0", late, 0, late == 0)
    other = fair["other_beside_flood"]["ok_p99_ms"] / max(fair["other_alone"]["ok_p99_ms"], 1e-9)
    target("other client's p99 beside a 300 % flood ≤ 2 × alone", round(other, 2), 2.0, other <= 2)
    return found


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Overload benchmark",
        "",
        f"Command: `{results['command']}`; finished {results['finished_at']}, "
        f"load average at end {results['load_average_at_end']}.",
        f"Capacity (closed loop at the admission limit): {results['capacity_per_s']} look-ups/s.",
        "",
        "| share | rate/s | sent | 200 | 503 | goodput/s | 200 p50 ms | 200 p99 ms | 503 p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in results["open_loop"]:
        lines.append(
            f"| {run['share']:.0%} | {run['rate']} | {run['sent']} | {run['ok']} | {run['shed']} "
            f"| {run['goodput_per_s']} | {run['ok_p50_ms']} | {run['ok_p99_ms']} "
            f"| {run['shed_p99_ms']} |"
        )
    impatient = results["open_loop"][-1]["impatient"]
    fair = results["fairness"]
    lines += [
        "",
        f"Impatient callers at 300 %: {impatient['sent']} sent, {impatient['gave_up']} gave up, "
        f"{impatient['ok']} answered; {impatient['ngsp_calls']} NGSP calls for their number, "
        f"{impatient['ngsp_calls_after_caller_left']} of them begun after the caller had left; "
        f"{impatient['abandoned_in_flight']} cut short in flight.",
        f"Fairness: the other client's p99 alone {fair['other_alone']['ok_p99_ms']} ms, beside "
        f"the flood {fair['other_beside_flood']['ok_p99_ms']} ms "
        f"({fair['other_beside_flood']['ok']}/{fair['other_beside_flood']['sent']} answered 200).",
        "",
        "| target | value | limit | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['target']} | {t['value']} | {t['limit']} | {'yes' if t['met'] else 'NO'} |"
        for t in results["targets"]
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": machine_info(),
        "layout": fleet.pin_self(),
        "settings": {k: v for k, v in vars(args).items() if k != "output"},
        "command": shlex.join([".venv/bin/python", "-m", "bench.overload_bench", *sys.argv[1:]]),
    }
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        measure(args, Path(tmp), results)
    results["load_average_at_end"] = load_average()
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["targets"] = targets(results)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "overload.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results)
    (args.output / "overload.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
