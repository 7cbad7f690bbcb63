"""Audit trail benchmarks: group-commit throughput, and audit's share of a look-up's CPU at load.

Run: ``.venv/bin/python -m bench.audit_bench`` (``--help`` for options). Two parts:

1. **Group commit.** N concurrent callers each ``record()`` in a loop for a fixed time against the
   real store with its production durability (SQLite WAL + ``synchronous=FULL`` on the local disk;
   PostgreSQL with ``synchronous_commit=on`` when reachable). Reports records/s, mean batch,
   ``record()`` latency and process CPU per record.
2. **Share of a look-up.** The real gateway and mock national side run as processes (SQLite
   audit, a client without rate limit); this process sends look-ups
   (``GET /api/v1/citizens/{id}``) from concurrent clients. The same runs against a baseline
   gateway started with ``LGSP_AUDIT_DSN=none:`` (the trail switched off).
   The gateway's CPU per look-up comes from ``/proc``; the difference is what audit costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from bench.fleet import unlimited_clients
from bench.jobs_bench import LGSP, PURPOSE, cpu_seconds, free_port, server
from gateway.audit import AuditEvent, AuditTrail, Disclosure, open_audit_trail

KEY = b"benchmark-audit-hmac-key-0123456789"
PREBUILT_EVENTS = 50_000  # building an event is the request's work, not audit's: done beforehand
PG_DSN = os.environ.get("LGSP_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _random_id() -> str:
    return f"0540920{random.randrange(100_000):05d}"


def event(request_id: str, extra_subjects: int = 0) -> AuditEvent:
    """A look-up disclosing ``extra_subjects`` more people (other number, members, relatives)."""
    fields = ("full_name", "sex", "date_of_birth")
    disclosed = tuple(
        Disclosure(_random_id(), "household_member", fields, "CH03") for _ in range(extra_subjects)
    )
    return AuditEvent(
        occurred_at=datetime.now(UTC),
        request_id=request_id,
        client_id="portal-phu-yen",
        agency_code="000.00.00.H45",
        officer_id="officer-17",
        purpose_code="1.001612",
        case_id="HS-2021-0042",
        operation="lookup",
        subject_number=_random_id(),  # a different citizen each
        outcome="success",
        status=200,
        problem_code=None,
        upstream_attempts=1,
        latency_ms=41.25,
        fields_returned=("full_name", "sex", "date_of_birth", "permanent_address"),
        disclosed=disclosed,
    )


# --- part 1: group commit ----------------------------------------------------------------------


@dataclass
class CommitResult:
    store: str
    concurrency: int
    records: int
    seconds: float
    cpu_seconds: float
    batches: int
    latencies_ms: list[float]

    def row(self) -> str:
        lat = sorted(self.latencies_ms)
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
        return (
            f"| {self.store} | {self.concurrency} | {self.records / self.seconds:,.0f} "
            f"| {self.records / self.batches:,.1f} | {p50:.2f} | {p99:.2f} "
            f"| {self.cpu_seconds / self.records * 1e6:.1f} |"
        )


async def _caller(
    trail: AuditTrail, events: Iterator[AuditEvent], stop_at: float, latencies: list[float]
) -> int:
    count = 0
    while (started := time.perf_counter()) < stop_at:
        await trail.record(next(events))
        latencies.append((time.perf_counter() - started) * 1000)
        count += 1
    return count


async def measure_commits(
    dsn: str, store: str, concurrency: int, seconds: float, extra_subjects: int = 0
) -> CommitResult:
    async with open_audit_trail(dsn, hmac_key=KEY, writer_id=f"bench-{concurrency}") as trail:
        await asyncio.gather(*(trail.record(event(f"warm-{i}")) for i in range(200)))
        before, latencies = trail.stats.batches, list[float]()
        prebuilt = [event(uuid.uuid4().hex, extra_subjects) for _ in range(PREBUILT_EVENTS)]
        events = itertools.cycle(prebuilt)
        cpu, wall = time.process_time(), time.perf_counter()
        stop_at = wall + seconds
        counts = await asyncio.gather(
            *(_caller(trail, events, stop_at, latencies) for _ in range(concurrency))
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        batches = trail.stats.batches - before
    return CommitResult(store, concurrency, sum(counts), wall, cpu, batches, latencies)


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[str | None]:
    """A throwaway schema on the local PostgreSQL, or None when it is not reachable."""
    schema = f"audit_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(PG_DSN, timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        yield None
        return
    try:
        yield f"{PG_DSN}?schema={schema}"
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


async def part_commits(args: argparse.Namespace) -> None:
    print("| store | callers | records/s | mean batch | record() p50 ms | p99 ms | CPU µs/record |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    directory = Path(args.dir)
    for concurrency in args.concurrency:
        shutil.rmtree(directory, ignore_errors=True)
        dsn = f"sqlite:///{directory / 'audit.sqlite3'}"
        result = await measure_commits(
            dsn, "SQLite", concurrency, args.seconds, args.extra_subjects
        )
        print(result.row(), flush=True)
    shutil.rmtree(directory, ignore_errors=True)
    async with pg_schema() as pg_dsn:
        if pg_dsn is None:
            print("| PostgreSQL | not reachable: skipped |")
            return
        for concurrency in args.concurrency:
            result = await measure_commits(
                pg_dsn, "PostgreSQL", concurrency, args.seconds, args.extra_subjects
            )
            print(result.row(), flush=True)


# --- part 2: audit's share of a look-up -------------------------------------------------------


@contextlib.contextmanager
def gateway(work: Path, mock_url: str, *, audit: bool) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {
        "LGSP_NGSP_BASE_URL": mock_url,
        # the baseline is the same gateway with the trail switched off (dev-only setting)
        "LGSP_AUDIT_DSN": f"sqlite:///{work / 'audit.sqlite3'}" if audit else "none:",
        "LGSP_CLIENTS_FILE": str(work / "clients.yaml"),  # written by fleet.unlimited_clients
        "LGSP_LOG_LEVEL": "warning",
        "LGSP_LOG_FORMAT": "json",
    }
    url = f"http://127.0.0.1:{port}"
    name = "gateway" if audit else "baseline"
    with server(command, env, f"{url}/healthz", work / f"{name}.log") as pid:
        yield url, pid


async def _look_up(url: str, numbers: list[str], concurrency: int, seconds: float) -> int:
    """Look-ups through the gateway for ``seconds``; how many answered 200."""
    stop_at = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        grant = {"grant_type": "client_credentials"}
        auth = {"Authorization": aiohttp.encode_basic_auth("demo-portal", "demo-secret")}
        async with http.post(f"{url}/oauth2/token", data=grant, headers=auth) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}", **PURPOSE}

        async def one_client(offset: int) -> int:
            done = 0
            while time.perf_counter() < stop_at:
                number = numbers[(offset + done * concurrency) % len(numbers)]
                async with http.get(f"{url}/api/v1/citizens/{number}", headers=headers) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"the look-up answered {answer.status}")
                done += 1
            return done

        return sum(await asyncio.gather(*(one_client(i) for i in range(concurrency))))


async def measure_lookups(
    url: str, pid: int, numbers: list[str], args: argparse.Namespace
) -> tuple[float, float, float | None]:
    """Look-ups/s, the gateway's CPU ms per look-up, and the audit's mean batch (None if off)."""
    await _look_up(url, numbers, args.http_concurrency, 1.0)  # warm-up: token, pools, caches
    before = await _audit_counts(url)
    cpu, started = cpu_seconds(pid), time.perf_counter()
    count = await _look_up(url, numbers, args.http_concurrency, args.seconds)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
    after = await _audit_counts(url)
    records, batches = after[0] - before[0], after[1] - before[1]
    return count / elapsed, cpu / count * 1000, records / batches if batches else None


async def _audit_counts(url: str) -> tuple[float, float]:
    """(committed records, commits) from the gateway's ``/metrics``."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    records = batches = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "lgsp_audit_records_total" and sample.labels == {
                "result": "committed"
            }:
                records = sample.value
            elif sample.name == "lgsp_audit_batches_total":
                batches = sample.value
    return records, batches


async def _sample_numbers(url: str) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return [person["personal_id"] for person in await response.json()]


async def part_share(args: argparse.Namespace) -> None:
    print(
        "| gateway | look-ups/s | gateway CPU ms/look-up (median) | audit share"
        " | mean audit batch | each run |"
    )
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="audit-bench-", dir=args.dir_root) as tmp:
        work = Path(tmp)
        unlimited_clients(work)  # the demo portal without its rate limit, in work/clients.yaml
        mock_url = f"http://127.0.0.1:{free_port()}"
        mock_command = [
            *LGSP,
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            mock_url.rsplit(":", maxsplit=1)[-1],
        ]
        sample = f"{mock_url}/__admin/citizens/sample?n=1000"
        with server(mock_command, {}, sample, work / "mock.log"):
            numbers = await _sample_numbers(sample)
            runs: dict[bool, list[tuple[float, float, float | None]]] = {False: [], True: []}
            for _ in range(args.repeat):
                for audit in (False, True):
                    with gateway(work, mock_url, audit=audit) as (url, pid):
                        runs[audit].append(await measure_lookups(url, pid, numbers, args))
    base = statistics.median(cpu for _, cpu, _ in runs[False])
    for audit, results in runs.items():
        rate = statistics.median(r for r, _, _ in results)
        cpu = statistics.median(c for _, c, _ in results)
        name, share = ("SQLite audit", f"{(cpu - base) / cpu:.1%}") if audit else ("no audit", "-")
        sizes = [b for _, _, b in results if b is not None]
        batch = f"{statistics.median(sizes):.1f}" if sizes else "-"
        each = ", ".join(f"{c:.2f}" for _, c, _ in results)
        print(f"| {name} | {rate:,.0f} | {cpu:.3f} | {share} | {batch} | {each} |", flush=True)


# --- command line -----------------------------------------------------------------------------


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_bench", description=__doc__)
    parser.add_argument("part", nargs="?", default="all", choices=["all", "commit", "share"])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per run")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 16, 128, 512, 2048],
        help="concurrent callers for part 1, comma-separated",
    )
    parser.add_argument(
        "--extra-subjects",
        type=int,
        default=0,
        help="part 1: data subjects per record besides the number asked (a household: 3-6)",
    )
    parser.add_argument("--http-concurrency", type=int, default=32, help="clients for part 2")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant in part 2")
    parser.add_argument("--dir", default="var/bench-audit", help="SQLite directory (a real disk)")
    parser.add_argument("--dir-root", default=None, help="where part 2's temporary files go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    python = sys.version.split()[0]
    print(f"audit benchmark: {os.cpu_count()} CPUs, python {python}, {_machine_load()}\n")
    if args.part in ("all", "commit"):
        asyncio.run(part_commits(args))
        print()
    if args.part in ("all", "share"):
        asyncio.run(part_share(args))
    print(f"\nafter: {_machine_load()}")


def _machine_load() -> str:
    """Other work on the machine skews every number: say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


if __name__ == "__main__":
    main()
