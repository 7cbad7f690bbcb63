"""``make bench``: the gateway benchmark of issue #9, closed loop, open loop and a memory soak.

Run: ``.venv/bin/python -m bench.run`` (``--help`` for options; ``--soak 300`` for the full
5-minute soak). Writes ``bench/results/gateway.json`` and ``gateway.md`` and prints the latter.

1. Starts every scenario's servers (``bench.scenarios``), pinned as ``bench.fleet`` says.
2. Closed loop: wrk at each concurrency for ``--seconds``, ``--repeat`` rounds, the rounds
   interleaved across scenarios; median and spread per cell.
3. Open loop: 25/50/75 % of S2's best median rate against S2 and against the mock alone (S0),
   latency from the intended send time (``bench.open_loop``); "added" is S2 minus S0.
4. Soak: a fresh S2 gateway at 50 % of that rate for ``--soak`` seconds, RSS sampled each second.
5. The issue's targets, each met or missed, from this run's numbers.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import fleet
from bench.closed_loop import require_wrk, run_wrk, wrk_command
from bench.machine import load_average, machine_info
from bench.open_loop import run_open_loop
from bench.report import markdown, summarise, targets
from bench.scenarios import DESCRIPTIONS, Stage, gateway_env, stage
from bench.soak import FLAT_MIB_PER_MIN, soak
from bench.target import gateway_target

SHARES = (0.25, 0.5, 0.75)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="each closed-loop run (whole s)")
    parser.add_argument("--repeat", type=int, default=3, help="closed-loop rounds")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 8, 32, 100],
        help="closed-loop connections, comma-separated",
    )
    parser.add_argument(
        "--scenarios",
        type=lambda text: text.split(","),
        default=list(DESCRIPTIONS),
        help="comma-separated subset of " + ",".join(DESCRIPTIONS),
    )
    parser.add_argument("--open-seconds", type=float, default=8.0, help="each open-loop run")
    parser.add_argument("--soak", type=float, default=30.0, help="soak seconds (0: none)")
    parser.add_argument("--output", type=Path, default=Path("bench/results"))
    return parser.parse_args(argv)


def closed_loop(st: Stage, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {name: {} for name in st.targets}
    for target in st.targets.values():
        run_wrk(target, 32, 2, work)  # warm-up: upstream pools, token, caches
    for round_no in range(args.repeat):
        for name, target in st.targets.items():
            for concurrency in args.concurrency:
                result = asdict(run_wrk(target, concurrency, args.seconds, work))
                result["load_average"] = load_average()
                runs[name].setdefault(concurrency, []).append(result)
                print(
                    f"round {round_no + 1} {name}@{concurrency}: "
                    f"{result['requests_per_s']:,.0f} req/s p99 {result['p99_ms']:.1f} ms "
                    f"load {result['load_average'][0]}",
                    flush=True,
                )
    return {
        name: {str(c): summarise(cells) for c, cells in by_c.items()} for name, by_c in runs.items()
    }


def s2_max_rate(closed: dict[str, Any]) -> float | None:
    cells = closed.get("S2")
    return max(cell["median_rps"] for cell in cells.values()) if cells else None


def open_loop(st: Stage, max_rate: float, seconds: float) -> list[dict[str, Any]]:
    found = []
    for share in SHARES:
        rate = round(max_rate * share)
        run: dict[str, Any] = {"share": share, "rate": rate}
        for name in ("S0", "S2"):
            run[name] = asdict(run_open_loop(st.targets[name], rate, seconds))
            run[name]["load_average"] = load_average()
        for p in ("p50", "p99"):
            run[f"added_{p}_ms"] = run["S2"][f"{p}_ms"] - run["S0"][f"{p}_ms"]
        print(f"open loop {rate}/s: added p99 {run['added_p99_ms']:.2f} ms", flush=True)
        found.append(run)
    return found


def memory_soak(st: Stage, work: Path, rate: float, seconds: float) -> dict[str, Any]:
    with fleet.gateway(work, "soak", st.mock_url, gateway_env(work, "soak")) as endpoint:
        headers = fleet.portal_headers(endpoint.url)
        target = gateway_target("soak", endpoint.url, st.numbers, headers)
        result = soak(target, endpoint.pid, rate, seconds)
    found = asdict(result)
    found.update(flat=result.flat, flat_limit_mib_per_min=FLAT_MIB_PER_MIN)
    return found


def measure(args: argparse.Namespace, work: Path, results: dict[str, Any]) -> None:
    with stage(work, args.scenarios) as st:
        results["notes"] += st.notes
        results["closed_loop"] = closed_loop(st, args, work)
        max_rate = s2_max_rate(results["closed_loop"])
        if max_rate is None or "S0" not in st.targets:
            results["notes"].append("open loop and soak need S0 and S2")
            return
        results["open_loop"] = open_loop(st, max_rate, args.open_seconds)
        if args.soak > 0:
            results["soak"] = memory_soak(st, work, max_rate / 2, args.soak)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    require_wrk()
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": machine_info(),
        "layout": fleet.pin_self(),
        "settings": {k: v for k, v in vars(args).items() if k != "output"},
        "commands": {
            "bench": shlex.join([".venv/bin/python", "-m", "bench.run", *sys.argv[1:]]),
            "wrk": shlex.join(wrk_command(32, args.seconds, "http://127.0.0.1:PORT")),
            "open_loop": f"bench/open_loop.py, 2 s warm-up then {args.open_seconds:g} s per rate",
        },
        "notes": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        measure(args, Path(tmp), results)
    results["load_average_at_end"] = load_average()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["targets"] = [asdict(t) for t in targets(results)]
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "gateway.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results, DESCRIPTIONS)
    (args.output / "gateway.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
