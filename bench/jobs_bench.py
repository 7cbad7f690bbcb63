"""Bulk verification job benchmark: a 1,000,000-row register through a real gateway and mock.

Run: ``.venv/bin/python -m bench.jobs_bench`` (``--help`` for options). Everything runs on
loopback, each server in its own process, exactly as deployed on the embedded default:

1. writes a register of ``--rows`` rows to disk (streamed) from the mock's synthetic population:
   about 90 % rows whose details match, 4 % with the wrong sex, 3 % unknown numbers, 2 % invalid
   rows and 1 % number-only rows (citizens repeat: every row is still its own upstream call);
2. starts the mock national side and a gateway (SQLite audit and job stores in a temporary
   directory) with ``LGSP_JOBS_UPSTREAM_RATE_PER_S=--rate`` and ``LGSP_JOBS_CONCURRENCY``;
3. uploads the file as a streamed ``text/csv`` body and times the ingest;
4. lets the worker run for ``--seconds`` (or to the end with ``--full``) and measures verified
   rows/s and upstream calls/s (from the mock's journal) against the configured rate;
5. cancels the job if it is still running and downloads the whole result file, streamed to disk,
   checking it holds one line per input row;
6. reports the gateway process's resident memory: peak (``VmHWM``) after each phase.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

LGSP = [sys.executable, "-m", "gateway.cli"]
JOBS = "/api/v1/verification-jobs"
PURPOSE = {"X-Purpose-Code": "1.001612", "X-Officer-Id": "bench-officer"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """Resident memory of a process from /proc: now (VmRSS, split into anonymous and file-backed
    pages) and its peak (VmHWM)."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(args: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, env={**os.environ, **env}, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"{args} exited early; see {log}")
                try:
                    if httpx.get(ready, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def write_register(mock: str, path: Path, rows: int) -> dict[str, int]:
    """The register file; the number of rows of each kind written."""
    people: list[dict[str, Any]] = []
    for page in range(20):
        sample = httpx.get(f"{mock}/__admin/citizens/sample", params={"n": 1000, "page": page})
        people.extend(sample.json())
    kinds = {"exact": 0, "wrong_sex": 0, "unknown": 0, "invalid": 0, "number_only": 0}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["so_dinh_danh", "ho_ten", "ngay_sinh", "gioi_tinh"])
        for n in range(rows):
            person = people[n % len(people)]
            kind, line = _row(n, person)
            kinds[kind] += 1
            writer.writerow(line)
    return kinds


def _row(n: int, person: dict[str, Any]) -> tuple[str, list[str]]:
    number, name, born = person["personal_id"], person["full_name"], person["date_of_birth"]
    sex = "nam" if person["sex"] == "male" else "nữ"
    slot = n % 100
    if slot < 4:
        return "wrong_sex", [number, name, born, "nữ" if sex == "nam" else "nam"]
    if slot < 7:
        return "unknown", [f"0540929{n % 100_000:05d}", name, born, sex]
    if slot < 9:
        return "invalid", [number[1:], name, born, sex]
    if slot < 10:
        return "number_only", [number, "", "", ""]
    return "exact", [number, name, born, sex]


@dataclass
class Report:
    rows: int
    rate_per_s: float
    concurrency: int
    file_mb: float
    kinds: dict[str, int]
    ingest_s: float = 0.0
    ingest_rows_per_s: float = 0.0
    run_s: float = 0.0
    verified_rows: int = 0
    verified_rows_per_s: float = 0.0
    upstream_calls: int = 0
    upstream_calls_per_s: float = 0.0
    gateway_cpu_ms_per_row: float = 0.0
    mock_cpu_ms_per_row: float = 0.0
    final_state: str = ""
    progress: dict[str, Any] = field(default_factory=dict)
    cancel_s: float = 0.0
    download_s: float = 0.0
    result_lines: int = 0
    rss_mib: dict[str, float] = field(default_factory=dict)
    rss_at_end_mib: dict[str, float] = field(default_factory=dict)
    rss_sampled_max_mib: float = 0.0


class Gateway:
    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid
        self.http = httpx.Client(base_url=url, timeout=httpx.Timeout(60, read=1800))
        self.headers: dict[str, str] = {}
        self.renew_token()

    def renew_token(self) -> None:
        """A fresh token (they live 15 minutes; a full run takes longer)."""
        token = self.http.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-portal", "demo-secret"),
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", **PURPOSE}

    def peak_mib(self) -> float:
        return round(memory_kib(self.pid)["VmHWM"] / 1024, 1)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.http.get(f"{JOBS}/{job_id}", headers=self.headers)
        if response.status_code == 401:
            self.renew_token()
            response = self.http.get(f"{JOBS}/{job_id}", headers=self.headers)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def journal_calls(mock: str) -> int:
    journal = httpx.get(f"{mock}/__admin/journal", params={"limit": 0}).json()
    by_operation = journal.get("by_operation", {})
    return int(sum(v for k, v in by_operation.items() if k != "token"))


def upload(gateway: Gateway, path: Path, report: Report) -> str:
    started = time.perf_counter()
    with path.open("rb") as body:
        response = gateway.http.post(
            JOBS,
            content=body,
            params={
                "number_column": "so_dinh_danh",
                "full_name_column": "ho_ten",
                "birth_date_column": "ngay_sinh",
                "sex_column": "gioi_tinh",
            },
            headers={**gateway.headers, "Content-Type": "text/csv"},
        )
    response.raise_for_status()
    report.ingest_s = round(time.perf_counter() - started, 2)
    report.ingest_rows_per_s = round(report.rows / report.ingest_s)
    report.rss_mib["after_ingest"] = gateway.peak_mib()
    job_id: str = response.json()["id"]
    return job_id


def verified(progress: dict[str, int]) -> int:
    """Rows the worker verified (invalid rows never go upstream; skipped ones were cancelled)."""
    return progress["done"] - progress["invalid"] - progress["skipped"]


def run(
    gateway: Gateway, mock: tuple[str, int], job_id: str, report: Report, seconds: float | None
) -> None:
    mock_url, mock_pid = mock
    first = gateway.job(job_id)["progress"]
    calls_before = journal_calls(mock_url)
    cpu_before = cpu_seconds(gateway.pid), cpu_seconds(mock_pid)
    started = time.perf_counter()
    sampled = 0
    while True:
        time.sleep(1.0)
        sampled = max(sampled, memory_kib(gateway.pid)["VmRSS"])
        job = gateway.job(job_id)
        elapsed = time.perf_counter() - started
        if job["state"] in ("completed", "cancelled") or (seconds and elapsed >= seconds):
            break
    progress = job["progress"]
    report.run_s = round(elapsed, 1)
    report.verified_rows = verified(progress) - verified(first)
    report.verified_rows_per_s = round(report.verified_rows / elapsed, 1)
    report.upstream_calls = journal_calls(mock_url) - calls_before
    report.upstream_calls_per_s = round(report.upstream_calls / elapsed, 1)
    rows = max(1, report.verified_rows)
    report.gateway_cpu_ms_per_row = round(
        1000 * (cpu_seconds(gateway.pid) - cpu_before[0]) / rows, 2
    )
    report.mock_cpu_ms_per_row = round(1000 * (cpu_seconds(mock_pid) - cpu_before[1]) / rows, 2)
    report.rss_mib["after_run"] = gateway.peak_mib()
    report.rss_sampled_max_mib = round(sampled / 1024, 1)


def finish(gateway: Gateway, job_id: str, report: Report, target: Path) -> None:
    job = gateway.job(job_id)
    if job["state"] not in ("completed", "cancelled"):
        started = time.perf_counter()
        job = gateway.http.post(f"{JOBS}/{job_id}/cancel", headers=gateway.headers).json()
        report.cancel_s = round(time.perf_counter() - started, 2)
    report.final_state = job["state"]
    report.progress = job["progress"]
    started = time.perf_counter()
    lines = 0
    with (
        gateway.http.stream("GET", f"{JOBS}/{job_id}/results", headers=gateway.headers) as r,
        target.open("wb") as out,
    ):
        r.raise_for_status()
        for chunk in r.iter_bytes():
            out.write(chunk)
            lines += chunk.count(b"\n")
    report.download_s = round(time.perf_counter() - started, 2)
    report.result_lines = lines - 1
    report.rss_mib["after_download"] = gateway.peak_mib()
    now = memory_kib(gateway.pid)
    report.rss_at_end_mib = {key: round(now[key] / 1024, 1) for key in ("RssAnon", "RssFile")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=200.0, help="jobs_upstream_rate_per_s")
    parser.add_argument("--concurrency", type=int, default=32, help="jobs_concurrency")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to let it run")
    parser.add_argument("--full", action="store_true", help="run the job to its end")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jobs-bench-")))
        mock_url, gateway_url = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        env = {
            "LGSP_NGSP_BASE_URL": mock_url,
            "LGSP_AUDIT_DSN": f"sqlite:///{work / 'audit.sqlite3'}",
            "LGSP_JOBS_DSN": f"sqlite:///{work / 'jobs.sqlite3'}",
            "LGSP_JOBS_UPSTREAM_RATE_PER_S": str(args.rate),
            "LGSP_JOBS_CONCURRENCY": str(args.concurrency),
            "LGSP_LOG_LEVEL": "warning",
            "LGSP_LOG_FORMAT": "json",
            "LGSP_MOCK_JOURNAL_SIZE": "1000",
        }
        mock_port, gateway_port = mock_url.rsplit(":", 1)[1], gateway_url.rsplit(":", 1)[1]
        mock_pid = stack.enter_context(
            server(
                [*LGSP, "mock", "--host", "127.0.0.1", "--port", mock_port],
                env,
                f"{mock_url}/__admin/citizens/sample?n=1",
                work / "mock.log",
            )
        )
        register = work / "register.csv"
        kinds = write_register(mock_url, register, args.rows)
        size_mb = round(register.stat().st_size / 1e6, 1)
        report = Report(args.rows, args.rate, args.concurrency, size_mb, kinds)
        pid = stack.enter_context(
            server(
                [*LGSP, "serve", "--host", "127.0.0.1", "--port", gateway_port],
                env,
                f"{gateway_url}/healthz",
                work / "gateway.log",
            )
        )
        gateway = Gateway(gateway_url, pid)
        report.rss_mib["idle"] = gateway.peak_mib()
        job_id = upload(gateway, register, report)
        run(gateway, (mock_url, mock_pid), job_id, report, None if args.full else args.seconds)
        finish(gateway, job_id, report, work / "results.csv")
    text = json.dumps(asdict(report), indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
