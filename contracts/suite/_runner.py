"""Run the checklist against one deployment and produce its :class:`RunReport`.

Before the checks, the run finds its targets: a citizen known to exist (``--citizen``, or one
sampled from the mock's ``/__admin/citizens/sample``), one with a CMND, a well-formed number known
*not* to exist, and a pool of citizens for the fault scenarios. Each check then runs in order; a
missing precondition skips it, a broken expectation or any unexpected error fails it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from typing import Protocol

import httpx

from contracts.suite import checks as _checks  # noqa: F401 -- registers the checks, in order
from contracts.suite._context import CheckFailed, CheckSkipped, RunContext, SuiteConfig
from contracts.suite._model import CheckResult, RunReport, Status, redact
from contracts.suite._openapi import OpenApiContract
from contracts.suite._registry import CHECKS, Check
from contracts.suite._targets import discover_targets

__all__ = ["SUITE_VERSION", "open_clients", "run_check", "run_suite"]

SUITE_VERSION = "1.0.0"
_NEED_HINTS = {
    "basic": "--basic-client (a client without the sensitive field set)",
    "auditor": "--auditor (a client granted audit_read)",
    "mock": "--mock-admin (the mock national side's admin URL)",
    "citizen": "--citizen or --mock-admin (a citizen known to exist)",
    "absent": "--absent-citizen or --mock-admin (a number known not to exist)",
    "cmnd": "--mock-admin (a citizen with a CMND)",
    "person": "--mock-admin (a sampled citizen's details)",
}


def run_suite(
    config: SuiteConfig,
    *,
    contract: OpenApiContract | None = None,
    transport: httpx.BaseTransport | None = None,
    only: set[str] | None = None,
) -> RunReport:
    """Run every check (or those whose id is in ``only``) and return the report."""
    started = datetime.now(UTC)
    report = RunReport(SUITE_VERSION, config.gateway_url, started)
    with ExitStack() as stack:
        gateway, mock = open_clients(
            stack, config.gateway_url, config.mock_admin_url, config.timeout_s, transport
        )
        ctx = RunContext(config, contract or OpenApiContract.from_file(), gateway, mock)
        ctx.facts["started_at"] = started
        discover_targets(ctx)
        for item in CHECKS:
            if only is None or item.check_id in only:
                report.results.append(run_check(ctx, item, lambda need: _available(ctx, need)))
        report.environment = _environment(ctx)
    report.finished_at = datetime.now(UTC)
    return report


class _Running(Protocol):
    current: CheckResult | None


def run_check(ctx: _Running, item: Check, available: Callable[[str], bool]) -> CheckResult:
    """Run one check in ``ctx``; skip it when ``available`` denies one of its needs."""
    result = CheckResult(item.check_id, item.concern, item.title, item.proves, item.required)
    missing = [need for need in item.needs if not available(need)]
    if missing:
        result.status = Status.SKIPPED
        result.message = "needs " + "; ".join(_NEED_HINTS.get(n, n) for n in missing)
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


def _available(ctx: RunContext, need: str) -> bool:
    if need in ("basic", "auditor"):
        return ctx.identity(need) is not None
    if need == "mock":
        return ctx.mock is not None
    return ctx.facts.get(need) is not None


def _environment(ctx: RunContext) -> dict[str, str]:
    facts = ctx.facts
    environment = {
        "gateway URL": ctx.config.gateway_url,
        "gateway version": str(facts.get("gateway_version", "unknown")),
        "gateway readiness": str(facts.get("readiness", "unknown")),
        "mock admin URL": ctx.config.mock_admin_url or "not given (no fault scenarios)",
        "portal client": ctx.config.client.client_id,
        "basic client": _client_id(ctx, "basic"),
        "auditor": _client_id(ctx, "auditor"),
        "purpose code / officer": f"{ctx.config.purpose_code} / {ctx.config.officer_id}",
        "suite version": SUITE_VERSION,
        "run id": ctx.run_id,
        "suite runtime": f"Python {platform.python_version()}, httpx {metadata.version('httpx')}",
    }
    if facts.get("spec_coverage"):
        environment["spec coverage"] = str(facts["spec_coverage"])
    if facts.get("mock_info"):
        environment["mock national side"] = str(facts["mock_info"])
    return environment


def _client_id(ctx: RunContext, name: str) -> str:
    credentials = ctx.identity(name)
    return credentials.client_id if credentials else "not given"
