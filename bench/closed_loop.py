"""Closed-loop load with Debian's ``wrk``: N connections, each sending as soon as it is answered.

wrk runs with one thread on the load core (``bench.fleet``) and ``bench/wrk/requests.lua``;
its ``done()`` prints the percentiles as one JSON line, parsed here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import LOAD_CPU, pinned
from bench.target import Target

__all__ = ["WRK_SCRIPT", "ClosedLoopResult", "require_wrk", "run_wrk", "wrk_command"]

WRK_SCRIPT = Path(__file__).with_name("wrk") / "requests.lua"


@dataclass(frozen=True)
class ClosedLoopResult:
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    errors: int  # socket errors, time-outs and non-2xx/3xx answers
    requests: int


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed: apt-get install -y wrk (make bench does it as root)"
        )
    return found


def wrk_command(concurrency: int, seconds: int, url: str) -> list[str]:
    """The exact command line (recorded in the results)."""
    return pinned(
        LOAD_CPU,
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ],
    )


def run_wrk(target: Target, concurrency: int, seconds: int, work: Path) -> ClosedLoopResult:
    requests, headers = target.write_for_wrk(work)
    env = {**os.environ, "WRK_REQUESTS": str(requests), "WRK_HEADERS": str(headers)}
    command = wrk_command(concurrency, seconds, target.url)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return ClosedLoopResult(
        requests_per_s=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        errors=errors + raw["status_errors"],
        requests=raw["requests"],
    )
