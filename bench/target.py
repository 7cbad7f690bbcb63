"""What a benchmark scenario sends: a server URL, a round-robin list of requests, fixed headers.

Both load generators take a :class:`Target`: wrk reads it from two files (``bench/wrk``), the
open-loop generator directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import fleet

__all__ = ["Request", "Target", "gateway_target", "mock_target"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    requests: tuple[Request, ...]
    headers: dict[str, str]

    def write_for_wrk(self, work: Path) -> tuple[Path, Path]:
        """The request and header files ``bench/wrk/requests.lua`` reads."""
        requests, headers = work / f"{self.name}.requests", work / f"{self.name}.headers"
        with requests.open("wb") as out:
            for request in self.requests:
                out.write(f"{request.method}\t{request.path}\t".encode() + request.body + b"\n")
        headers.write_text("".join(f"{k}: {v}\n" for k, v in self.headers.items()))
        return requests, headers


def gateway_target(name: str, url: str, numbers: list[str], headers: dict[str, str]) -> Target:
    """Look-ups ``GET /api/v1/citizens/{number}`` (the gateway's path; B1 and B2 share it)."""
    requests = tuple(Request("GET", f"/api/v1/citizens/{number}") for number in numbers)
    return Target(name, url, requests, headers)


def mock_target(name: str, mock_url: str, numbers: list[str]) -> Target:
    """S0: the adapter's SOAP look-up POSTed straight to the mock's population endpoint."""
    requests = tuple(
        Request("POST", "/dancu/1.0/CongDan", fleet.soap_lookup(number, n))
        for n, number in enumerate(numbers)
    )
    return Target(name, mock_url, requests, fleet.mock_headers(mock_url))
