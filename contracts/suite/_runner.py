"""Run the checklist against one deployment and produce its :class:`RunReport`.

Before the checks, the run finds its targets: a citizen known to exist (``--citizen``, or one
sampled from the mock's ``/__admin/citizens/sample``), one with a CMND, a well-formed number known
*not* to exist, and a pool of citizens for the fault scenarios. The checks then run in the order
``_plan`` gives (producers of a fact before its consumers, phase by phase); a missing need skips a
check with a reason naming it, a broken expectation or any unexpected error fails it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from typing import Protocol

import httpx

from contracts.suite import checks as _checks  # noqa: F401 -- registers the checks, in order
from contracts.suite._context import CheckFailed, CheckSkipped, RunContext, SuiteConfig
from contracts.suite._facts import FOUND, Fact, Facts
from contracts.suite._model import CheckResult, RunReport, Status, redact
from contracts.suite._openapi import OpenApiContract
from contracts.suite._plan import Step, plan, producers
from contracts.suite._registry import CHECKS, Check
from contracts.suite._targets import discover_targets, mock_unreadable

__all__ = ["SUITE_VERSION", "need_hints", "open_clients", "run_check", "run_steps", "run_suite"]

SUITE_VERSION = "1.0.0"
# Why a need is missing, for the skip reason: each names the fact, then where it comes from.
_NEED_HINTS = {
    "basic": "basic: --basic-client, a client without the sensitive field set",
    "auditor": "auditor: --auditor, a client granted audit_read",
    "mock": "mock: --mock-admin, the mock national side's admin URL",
    "citizen": "citizen: --citizen or --mock-admin, a citizen known to exist",
    "absent": "absent: --absent-citizen or --mock-admin, a number known not to exist",
    "cmnd": "cmnd: --mock-admin, a citizen with a CMND",
    "person": "person: --mock-admin, a sampled citizen's details",
    "pool": "pool: --mock-admin, sampled citizens for the fault scenarios",
}


def run_suite(
    config: SuiteConfig,
    *,
    contract: OpenApiContract | None = None,
    transport: httpx.BaseTransport | None = None,
    only: Collection[str] | None = None,
    checks: Sequence[Check] = CHECKS,
) -> RunReport:
    """Run ``checks`` (or those whose id is in ``only``, after their producers); the report."""
    steps = plan(checks, only)
    started = datetime.now(UTC)
    report = RunReport(SUITE_VERSION, config.gateway_url, started)
    with ExitStack() as stack:
        gateway, mock = open_clients(
            stack, config.gateway_url, config.mock_admin_url, config.timeout_s, transport
        )
        contract = contract or OpenApiContract.from_file()
        ctx = RunContext(config, contract, gateway, mock, facts=Facts(started_at=started))
        discover_targets(ctx)
        report.results = run_steps(ctx, steps, need_hints(checks, ctx.facts))
        report.environment = _environment(ctx)
    if ctx.facts.mock_error:
        report.notices.append(f"mock admin URL {mock_unreadable(ctx.facts.mock_error)}")
    report.finished_at = datetime.now(UTC)
    return report


class _Running(Protocol):
    current: CheckResult | None


class _Planned(_Running, Protocol):
    def has(self, need: str) -> bool: ...


def run_steps(ctx: _Planned, steps: list[Step], hints: Mapping[str, str]) -> list[CheckResult]:
    """The selected checks' results; the helpers' outcomes go into the evidence of their users.

    Shared by both suites (gateway and NGSP): ``ctx.has`` says which facts are at hand.
    """
    results: list[CheckResult] = []
    helpers: list[tuple[Check, CheckResult]] = []
    for step in steps:
        result = run_check(ctx, step.check, ctx.has, hints)
        if step.selected:
            result.notes[:0] = _helped_by(step.check, helpers)
            results.append(result)
        else:
            helpers.append((step.check, result))
    return results


def _helped_by(consumer: Check, helpers: list[tuple[Check, CheckResult]]) -> list[str]:
    """One line per helper that ran first for ``consumer``: for which facts, and how it went."""
    lines = []
    for helper, outcome in helpers:
        facts = sorted(set(helper.produces) & set(consumer.needs))
        if facts:
            lines.append(
                f"ran {helper.check_id} first for {', '.join(facts)}: "
                f"{outcome.status.value} ({outcome.message})"
            )
    return lines


def need_hints(checks: Sequence[Check], facts: Facts | None = None) -> dict[str, str]:
    """The skip reasons for every need: given and found ones, then each produced fact's makers.

    When the mock was given but could not be read, that cause replaces "needs mock": the tester
    gave the option, and the reason must say what went wrong with it instead; the facts found
    from the mock say it too, briefly.
    """
    hints = dict(_NEED_HINTS)
    if facts is not None and facts.mock_error:
        hints[Fact.MOCK] = f"mock: the mock admin URL was {mock_unreadable(facts.mock_error)}"
        for fact in FOUND:
            hints[fact] += " (the mock admin URL given could not be read)"
    for fact in Fact:
        made_by = [c.check_id for c in producers(checks, fact)]
        if made_by and fact not in hints:
            shown = ", ".join(made_by[:3]) + (" …" if len(made_by) > 3 else "")
            hints[fact] = f"{fact}, which no check produced in this run (it comes from {shown})"
    return hints


def run_check(
    ctx: _Running,
    item: Check,
    available: Callable[[str], bool],
    hints: Mapping[str, str] = _NEED_HINTS,
) -> CheckResult:
    """Run one check in ``ctx``; skip it, naming the need, when ``available`` denies one."""
    result = CheckResult(item.check_id, item.concern, item.title, item.proves, item.required)
    missing = [need for need in item.needs if not available(need)]
    if missing:
        result.status = Status.SKIPPED
        result.message = "needs " + "; ".join(hints.get(n, n) for n in missing)
        return result
    ctx.current = result
    started = time.perf_counter()
    try:
        item.run(ctx)
    except CheckFailed as exc:
        result.status, result.message = Status.FAILED, str(exc)
    except CheckSkipped as exc:
        result.status, result.message = Status.SKIPPED, str(exc)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        result.status = Status.FAILED
        result.message = redact(f"error: {type(exc).__name__}: {exc}")
    finally:
        ctx.current = None
        result.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    if result.status is Status.PASSED and not result.message:
        result.message = "ok"
    return result


def open_clients(
    stack: ExitStack,
    base_url: str,
    mock_admin_url: str | None,
    timeout_s: float,
    transport: httpx.BaseTransport | None,
) -> tuple[httpx.Client, httpx.Client | None]:
    """The client for the system under test and, when given, one for the mock's admin API."""
    target = stack.enter_context(
        httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)
    )
    if mock_admin_url is None:
        return target, None
    return target, stack.enter_context(httpx.Client(base_url=mock_admin_url, timeout=timeout_s))


def _environment(ctx: RunContext) -> dict[str, str]:
    facts = ctx.facts
    environment = {
        "gateway URL": ctx.config.gateway_url,
        "gateway version": facts.gateway_version or "unknown",
        "gateway readiness": facts.readiness or "unknown",
        "mock admin URL": ctx.config.mock_admin_url or "not given (no fault scenarios)",
        "portal client": ctx.config.client.client_id,
        "basic client": _client_id(ctx, "basic"),
        "auditor": _client_id(ctx, "auditor"),
        "purpose code / officer": f"{ctx.config.purpose_code} / {ctx.config.officer_id}",
        "suite version": SUITE_VERSION,
        "run id": ctx.run_id,
        "suite runtime": f"Python {platform.python_version()}, httpx {metadata.version('httpx')}",
    }
    if facts.spec_coverage:
        environment["spec coverage"] = facts.spec_coverage
    if facts.mock_error:
        environment["mock national side"] = mock_unreadable(facts.mock_error)
    elif facts.mock_info:
        environment["mock national side"] = facts.mock_info
    return environment


def _client_id(ctx: RunContext, name: str) -> str:
    credentials = ctx.identity(name)
    return credentials.client_id if credentials else "not given"
