"""Start-up time and memory of ``lgsp serve`` with 1 and 2 workers (issue #20).

Starts each configuration twice (SQLite audit in a scratch folder, Redis limits as workers need),
times launch → first ``/healthz`` 200, then reads the RSS of the supervisor (or the single
process) and of its children three seconds later. Run: ``python -m bench.workers_startup``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.e2e.processes import LGSP, free_port

REDIS_URL = os.environ.get("LGSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _rss_mib(*args: str) -> list[int]:
    out = subprocess.run(["ps", *args, "-o", "rss="], capture_output=True, text=True, check=False)
    return [round(int(kib) / 1024) for kib in out.stdout.split()]


def measure(workers: int, work: Path) -> str:
    port = free_port()
    env = {
        **os.environ,
        "LGSP_RATE_LIMIT_BACKEND": "redis",
        "LGSP_REDIS_URL": REDIS_URL,
        "LGSP_AUDIT_DSN": f"sqlite:///{work / f'audit-{port}.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{work / f'jobs-{port}.sqlite3'}",
        "LGSP_LOG_LEVEL": "error",
    }
    command = [*LGSP, "serve", "--port", str(port), "--workers", str(workers)]
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > 60:
                return f"workers={workers}: no /healthz within 60 s"
            time.sleep(0.05)
        ready_s = time.monotonic() - started
        time.sleep(3)
        main = _rss_mib("-p", str(process.pid))
        children = _rss_mib("--ppid", str(process.pid))
    finally:
        process.terminate()
        process.wait(30)
    return (
        f"workers={workers}: first /healthz after {ready_s:.2f} s; "
        f"main process RSS {main[0] if main else '?'} MiB; children RSS {children} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lgsp-workers-bench-") as folder:
        for workers in (1, 2, 1, 2):
            print(measure(workers, Path(folder)), flush=True)


if __name__ == "__main__":
    main()
