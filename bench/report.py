"""Turn the raw runs into medians, spreads, the issue's targets and a Markdown report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

__all__ = ["Target", "markdown", "summarise", "targets"]


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and spread (min-max) of repeated closed-loop runs of one scenario and concurrency."""
    rates = [run["requests_per_s"] for run in runs]
    p99s = [run["p99_ms"] for run in runs]
    return {
        "runs": runs,
        "median_rps": statistics.median(rates),
        "min_rps": min(rates),
        "max_rps": max(rates),
        "median_p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "median_p99_ms": statistics.median(p99s),
        "min_p99_ms": min(p99s),
        "max_p99_ms": max(p99s),
        "errors": sum(run["errors"] for run in runs),
    }


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    limit: str
    met: bool | None  # None: not measured in this run


def _rps(closed: dict[str, Any], scenario: str, concurrency: int) -> float | None:
    cell = closed.get(scenario, {}).get(str(concurrency))
    return None if cell is None else float(cell["median_rps"])


def _ratio_target(name: str, top: float | None, bottom: float | None, limit: float) -> Target:
    if top is None or bottom is None:
        return Target(name, "not measured", f"≥ {limit:g}", None)
    ratio = top / bottom
    return Target(
        name, f"{ratio:.2f} ({top:,.0f} / {bottom:,.0f} req/s)", f"≥ {limit:g}", ratio >= limit
    )


def targets(results: dict[str, Any]) -> list[Target]:
    """Issue #9's targets, each from this run's numbers."""
    closed = results["closed_loop"]
    found = [
        _ratio_target("S2@32 / B1@32", _rps(closed, "S2", 32), _rps(closed, "B1", 32), 0.5),
        _ratio_target("S2@32 / B2@32", _rps(closed, "S2", 32), _rps(closed, "B2", 32), 1.0),
        _ratio_target(
            "S2@100 / S2@8 (no collapse)", _rps(closed, "S2", 100), _rps(closed, "S2", 8), 0.9
        ),
        _added_p99(results.get("open_loop", [])),
        _audit_cost(_rps(closed, "S2", 32), _rps(closed, "S1", 32)),
        _tracing_cost(_rps(closed, "S2T", 32), _rps(closed, "S2", 32)),
        _ratio_target(
            "S2W2@100 / S2@100 (two workers)",
            _rps(closed, "S2W2", 100),
            _rps(closed, "S2", 100),
            1.4,
        ),
    ]
    return [*found, *_memory(results.get("soak"))]


def _tracing_cost(traced: float | None, s2: float | None) -> Target:
    name, limit = "tracing cost (1 - S2T@32 / S2@32)", "≤ 10 %"
    if traced is None or s2 is None:
        return Target(name, "not measured", limit, None)
    cost = 1 - traced / s2
    return Target(name, f"{cost:.1%} ({traced:,.0f} vs {s2:,.0f} req/s)", limit, cost <= 0.10)


def _added_p99(open_loop: list[dict[str, Any]]) -> Target:
    name, limit = "p99 added over S0 at 50 % of S2's max rate", "≤ 10 ms"
    half = next((run for run in open_loop if run["share"] == 0.5), None)
    if half is None:
        return Target(name, "not measured", limit, None)
    added = half["added_p99_ms"]
    return Target(name, f"{added:.1f} ms at {half['rate']:,.0f} req/s", limit, added <= 10)


def _audit_cost(s2: float | None, s1: float | None) -> Target:
    name, limit = "audit + logging cost (1 - S2@32 / S1@32)", "≤ 20 %"
    if s2 is None or s1 is None:
        return Target(name, "not measured", limit, None)
    cost = 1 - s2 / s1
    return Target(name, f"{cost:.1%} ({s2:,.0f} vs {s1:,.0f} req/s)", limit, cost <= 0.20)


def _memory(soak: dict[str, Any] | None) -> list[Target]:
    if soak is None:
        return [Target("gateway RSS during the soak", "not measured", "≤ 150 MiB, flat", None)]
    seconds = f"{soak['seconds']:g} s at {soak['rate']:,.0f} req/s"
    return [
        Target(
            f"gateway max RSS ({seconds})",
            f"{soak['max_rss_mib']:.1f} MiB (VmHWM {soak['peak_vmhwm_mib']:.1f})",
            "≤ 150 MiB",
            soak["max_rss_mib"] <= 150,
        ),
        Target(
            "gateway RSS flat (slope after the first minute)",
            _slope(soak["slope_mib_per_min"]),
            f"≤ {soak['flat_limit_mib_per_min']:g} MiB/min",
            soak["flat"],
        ),
    ]


def _slope(value: float | None) -> str:
    return "not judged: soak under 2 minutes" if value is None else f"{value:+.2f} MiB/min"


def _verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "n/a"}[met]


def markdown(results: dict[str, Any], descriptions: dict[str, str]) -> str:
    lines = [f"# Gateway benchmark ({results['finished_at']})", ""]
    machine = results["machine"]
    lines += [
        f"- machine: {machine['cpu']}, {machine['cores']} cores, kernel {machine['kernel']}, "
        f"Python {machine['python']}, {machine['wrk']}",
        f"- load average (1/5/15 min): start {machine['load_average_at_start']}, "
        f"end {results['load_average_at_end']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()),
        f"- layout: {results['layout']}",
        f"- command: `{results['commands']['bench']}`",
        f"- each cell: `{results['commands']['wrk']}`, {results['settings']['repeat']} runs "
        "interleaved across scenarios; median and (min-max) over the runs",
        "",
        *_closed_table(results, descriptions),
        "",
        *_open_table(results),
        "",
        *_soak_lines(results.get("soak")),
        "",
        "| target | measured | limit | verdict |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['name']} | {t['measured']} | {t['limit']} | {_verdict(t['met'])} |"
        for t in results["targets"]
    ]
    lines += ["", *[f"- note: {note}" for note in results["notes"]]]
    return "\n".join(lines).rstrip() + "\n"


def _closed_table(results: dict[str, Any], descriptions: dict[str, str]) -> list[str]:
    lines = [
        "| scenario | conc. | req/s median (min-max) | p50 ms | p99 ms median (min-max) | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario, cells in results["closed_loop"].items():
        for concurrency, cell in cells.items():
            lines.append(
                f"| {scenario} | {concurrency} | {cell['median_rps']:,.0f} "
                f"({cell['min_rps']:,.0f}-{cell['max_rps']:,.0f}) | {cell['median_p50_ms']:.2f} "
                f"| {cell['median_p99_ms']:.1f} ({cell['min_p99_ms']:.1f}-{cell['max_p99_ms']:.1f})"
                f" | {cell['errors']} |"
            )
    lines += ["", *[f"- {k}: {v}" for k, v in descriptions.items() if k in results["closed_loop"]]]
    return lines


def _open_table(results: dict[str, Any]) -> list[str]:
    lines = [
        f"Open loop (`{results['commands']['open_loop']}`), latency from the intended send time:",
        "",
        "| share of S2 max | rate | server | p50 ms | p90 ms | p99 ms | p99.9 ms | errors "
        "| generator lag p99 ms | generator CPU |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results.get("open_loop", []):
        for server in ("S0", "S2"):
            r = run[server]
            lines.append(
                f"| {run['share']:.0%} | {run['rate']:,.0f} | {server} | {r['p50_ms']:.2f} "
                f"| {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['errors']} "
                f"| {r['lag_p99_ms']:.2f} | {r['generator_cpu']:.0%} |"
            )
    added = ", ".join(
        f"{run['share']:.0%}: p50 +{run['added_p50_ms']:.2f} ms, p99 +{run['added_p99_ms']:.2f} ms"
        for run in results.get("open_loop", [])
    )
    return [*lines, "", f"Added over S0 at the same rate: {added or 'not measured'}."]


def _soak_lines(soak: dict[str, Any] | None) -> list[str]:
    if soak is None:
        return ["Soak: not run."]
    return [
        f"Soak: {soak['seconds']:g} s at {soak['rate']:,.0f} req/s (50 % of S2's max), gateway "
        f"VmRSS sampled each second: max {soak['max_rss_mib']:.1f} MiB, first "
        f"{soak['samples_mib'][0] if soak['samples_mib'] else 0:.1f}, last "
        f"{soak['samples_mib'][-1] if soak['samples_mib'] else 0:.1f}, slope after the first "
        f"minute {_slope(soak['slope_mib_per_min'])}; p99 {soak['load']['p99_ms']:.1f} ms, "
        f"errors {soak['load']['errors']}."
    ]
