"""Where a benchmark ran: CPU, cores, load, kernel, Python and the versions that decide speed."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["load_average", "machine_info"]

PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "pydantic-core",
    "httpx",
    "httpcore",
    "httpx-aiohttp",
    "aiohttp",
    "sniffio",
    "anyio",
    "lxml",
    "orjson",
    "structlog",
    "tenacity",
    "asyncpg",
)


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages: other work on the machine skews every number."""
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).split("Copyright")[0].strip()


def machine_info() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "wrk": _wrk_version(),
        "load_average_at_start": load_average(),
        "packages": {name: _version(name) for name in PACKAGES},
    }
