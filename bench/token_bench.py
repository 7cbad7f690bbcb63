"""Token endpoint under attack (issue #15): secret-check CPU, a guessing flood, the timing oracle.

Run: ``make bench-token`` or ``.venv/bin/python -m bench.token_bench`` (``--help``); about 1 min.

1. **CPU per secret check**, in this process: the fast ``hmac-sha256$`` form and the Argon2id
   form that registries held before (good and wrong secret), plus the gateway's own CPU per token
   request from ``/proc`` (good and wrong secret, new registry).
2. **Flood.** 16 concurrent wrong-secret requests for ``--flood-seconds`` from another process
   (source address 127.0.0.2) while this process times ``/healthz`` and look-ups one at a time
   from 127.0.0.1; p50/p99 idle versus during the flood, and how the attacker was answered.
   Twice: a new registry with the default failure budgets, and the worst case, a registry with
   an old Argon2 entry and the budgets lifted (every guess costs an Argon2 check).
3. **Timing oracle.** ``--trials`` wrong-secret requests for a real client, an unknown id and a
   disabled client, interleaved in rotating order, each from its own loopback address (so the
   per-address budget does not end the experiment): medians, their largest difference, and the
   noise floor (the real client measured twice, as two "kinds").

Writes ``bench/results/token.json`` and prints it; docs/performance.md quotes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.jobs_bench import LGSP, PURPOSE, cpu_seconds, free_port, server
from bench.machine import load_average
from gateway.security.clients import ClientRecord, Operation, save_clients
from gateway.security.secret_hash import hash_secret, legacy_hash, verify_fast, verify_slow

SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuv"  # noqa: S105 -- a throwaway registry
GRANT = {"grant_type": "client_credentials"}
RESULTS = Path(__file__).parent / "results" / "token.json"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.token_bench", description=__doc__)
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=4.0)
    parser.add_argument("--trials", type=int, default=200, help="oracle trials per kind")
    parser.add_argument("--concurrency", type=int, default=16, help="flooding connections")
    return parser.parse_args()


# --- 1. CPU per check --------------------------------------------------------------------------


def _cpu_ms(function: Any, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        function()
    return (time.process_time() - started) / n * 1000


def check_cpu() -> dict[str, float]:
    fast, slow = hash_secret(SECRET), legacy_hash(SECRET)
    return {
        "fast_good_ms": _cpu_ms(lambda: verify_fast(fast, SECRET), 2000),
        "fast_wrong_ms": _cpu_ms(lambda: verify_fast(fast, "wrong"), 2000),
        "argon2_good_ms": _cpu_ms(lambda: verify_slow(slow, SECRET), 5),
        "argon2_wrong_ms": _cpu_ms(lambda: verify_slow(slow, "wrong"), 5),
    }


# --- servers -----------------------------------------------------------------------------------


def _client(client_id: str, stored: str, *, enabled: bool = True) -> ClientRecord:
    return ClientRecord(
        client_id=client_id,
        name=client_id,
        agency_code="000.00.00.H45",
        secret_hash=stored,
        enabled=enabled,
        operations=frozenset({Operation.LOOKUP}),
        rate_per_s=1_000_000.0,
        burst=1_000_000,
    )


def _registry(path: Path, *, legacy: bool) -> Path:
    clients = [
        _client("portal", hash_secret(SECRET)),
        _client("off-portal", hash_secret(SECRET), enabled=False),
    ]
    if legacy:
        clients.append(_client("legacy-portal", legacy_hash(SECRET)))
    save_clients(path, clients)
    return path


@contextmanager
def _gateway(work: Path, name: str, mock: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = {
        "LGSP_NGSP_BASE_URL": mock,
        "LGSP_AUDIT_DSN": f"sqlite:///{work / f'{name}-audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{work / f'{name}-jobs.sqlite3'}",
        "LGSP_LOG_LEVEL": "warning",
    }
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with server(command, {**base, **env}, f"{url}/healthz", work / f"{name}.log") as pid:
        yield url, pid


@contextmanager
def _mock(work: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*LGSP, "mock", "--host", "127.0.0.1", "--port", str(port)]
    env = {"LGSP_MOCK_POPULATION_SIZE": "20000"}
    with server(command, env, f"{url}/__admin/citizens/sample?n=1", work / "mock.log"):
        yield url


# --- 2. the flood ------------------------------------------------------------------------------


def token_cpu(url: str, pid: int, n: int = 200) -> dict[str, float]:
    """The gateway's CPU per token request, good and wrong secret (distinct source addresses)."""
    out = {}
    for kind, secret in (("good", SECRET), ("wrong", "wrong")):
        before = cpu_seconds(pid)
        for i in range(n):
            with httpx.Client(base_url=url, transport=_from(i)) as client:
                client.post("/oauth2/token", data=GRANT, auth=("portal", secret))
        out[f"token_{kind}_cpu_ms"] = (cpu_seconds(pid) - before) / n * 1000
    return out


def _from(i: int) -> httpx.HTTPTransport:
    return httpx.HTTPTransport(local_address=f"127.0.{1 + i // 250}.{1 + i % 250}")


def _flooder(url: str, client_id: str, seconds: float, concurrency: int, out: Any) -> None:
    """The attacker, in its own process so its work does not skew this one's timings."""

    async def worker(statuses: Counter[int]) -> None:
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=30) as client:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                response = await client.post("/oauth2/token", data=GRANT, auth=(client_id, "x"))
                statuses[response.status_code] += 1

    async def main() -> Counter[int]:
        statuses: Counter[int] = Counter()
        await asyncio.gather(*(worker(statuses) for _ in range(concurrency)))
        return statuses

    out.put(dict(asyncio.run(main())))


def _latencies(url: str, token: str, number: str, seconds: float) -> dict[str, list[float]]:
    got: dict[str, list[float]] = {"healthz": [], "lookup": []}
    headers = {"Authorization": f"Bearer {token}", **PURPOSE}
    with httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for kind, path, extra in (
                ("healthz", "/healthz", {}),
                ("lookup", f"/api/v1/citizens/{number}", headers),
            ):
                started = time.perf_counter()
                client.get(path, headers=extra).raise_for_status()
                got[kind].append((time.perf_counter() - started) * 1000)
    return got


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def flood(url: str, mock: str, client_id: str, args: argparse.Namespace) -> dict[str, Any]:
    number = httpx.get(f"{mock}/__admin/citizens/sample", params={"n": 1}).json()[0]["personal_id"]
    with httpx.Client(base_url=url) as client:
        response = client.post("/oauth2/token", data=GRANT, auth=("portal", SECRET))
        token = response.raise_for_status().json()["access_token"]
    idle = _latencies(url, token, number, args.idle_seconds)
    queue: Any = multiprocessing.Queue()
    attacker = multiprocessing.Process(
        target=_flooder, args=(url, client_id, args.flood_seconds, args.concurrency, queue)
    )
    attacker.start()
    time.sleep(0.5)
    during = _latencies(url, token, number, max(1.0, args.flood_seconds - 1.0))
    statuses = queue.get(timeout=args.flood_seconds + 120)
    attacker.join(30)
    return {
        "attacker_statuses": statuses,
        **{f"idle_{k}": _summary(v) for k, v in idle.items()},
        **{f"flood_{k}": _summary(v) for k, v in during.items()},
    }


# --- 3. the timing oracle ----------------------------------------------------------------------


def oracle(url: str, kinds: dict[str, str], trials: int) -> dict[str, float]:
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    order = list(kinds.items())
    for i in range(trials):
        turn = order[i % len(order) :] + order[: i % len(order)]  # no kind always goes first
        for n, (kind, client_id) in enumerate(turn):
            with httpx.Client(base_url=url, transport=_from(i * len(kinds) + n)) as client:
                client.get("/healthz")  # connect first: time the answer, not the handshake
                started = time.perf_counter()
                response = client.post("/oauth2/token", data=GRANT, auth=(client_id, "x"))
                times[kind].append((time.perf_counter() - started) * 1000)
                if response.status_code != 401:
                    raise RuntimeError(f"{kind}: expected 401, got {response.status_code}")
    medians = {f"{kind}_median_ms": statistics.median(v) for kind, v in times.items()}
    real, control = medians["real_median_ms"], medians["control_median_ms"]
    others = [v for k, v in medians.items() if k != "control_median_ms"]
    medians["max_difference_ms"] = max(others) - min(others)
    medians["noise_real_vs_control_ms"] = abs(real - control)
    return medians


def main() -> None:
    args = _arguments()
    results: dict[str, Any] = {"load_before": load_average(), "check_cpu": check_cpu()}
    lifted = {"LGSP_AUTH_FAILURES_PER_ADDRESS": "10000", "LGSP_AUTH_FAILURES_PER_CLIENT": "100000"}
    with TemporaryDirectory() as tmp, _mock(Path(tmp)) as mock:
        work = Path(tmp)
        new_env = {
            "LGSP_CLIENTS_FILE": str(_registry(work / "new.yaml", legacy=False)),
            "LGSP_AUTH_FAILURES_PER_CLIENT": "100000",  # the oracle sends 200 per id
        }
        with _gateway(work, "new", mock, new_env) as (url, pid):
            results["token_cpu"] = token_cpu(url, pid)
            results["oracle"] = oracle(
                url,
                # "control" repeats "real": the spread between two identical kinds is the noise.
                {
                    "real": "portal",
                    "control": "portal",
                    "unknown": "nobody",
                    "disabled": "off-portal",
                },
                args.trials,
            )
            results["flood_default_budgets"] = flood(url, mock, "portal", args)
        old_env = {"LGSP_CLIENTS_FILE": str(_registry(work / "old.yaml", legacy=True)), **lifted}
        with _gateway(work, "legacy", mock, old_env) as (url, _):
            results["flood_argon2_unthrottled"] = flood(url, mock, "legacy-portal", args)
    results["load_after"] = load_average()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
