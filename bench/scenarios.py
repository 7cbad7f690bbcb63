"""The scenarios of issue #9 and the servers behind them, all started once and kept up.

Every server stays up for the whole run so that the repeated runs of all scenarios can
interleave (a change in the machine's load then touches every scenario alike). Each mock with a
fault gets its own process, so S4's failures and S5's delay never leak into the others.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench import fleet
from bench.target import Target, gateway_target, mock_target

__all__ = ["DESCRIPTIONS", "Stage", "gateway_env", "stage"]

DESCRIPTIONS = {
    "S0": "the mock called directly (SOAP POST, valid NGSP token)",
    "B1": "bare FastAPI endpoint, no upstream call (framework ceiling)",
    "B2": "naive FastAPI + default httpx.AsyncClient pass-through to the mock",
    "S1": "gateway look-up, audit off (LGSP_AUDIT_DSN=none:), logging off (error)",
    "S2": "gateway look-up, SQLite audit, info logging (json)",
    "S3": "gateway look-up, PostgreSQL audit, info logging (json)",
    "S4": "S2 with the mock failing 5 % of look-ups with 503",
    "S5": "S2 with the mock adding 10 ms to every look-up",
    "S2T": "S2 exporting every span over OTLP/HTTP to a sink (OTEL_EXPORTER_OTLP_ENDPOINT)",
    "S2W2": "S2 with lgsp serve --workers 2 and Redis limits, on both cores (load shares them)",
}
REDIS_URL = os.environ.get("LGSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FAIL_5_PERCENT = {
    "match": {"operation": fleet.LOOKUP},
    "action": {"kind": "http_error", "status": 503},
    "probability": 0.05,
}
ADD_10_MS = {
    "match": {"operation": fleet.LOOKUP},
    "action": {"kind": "latency", "distribution": "fixed", "ms": 10},
}
PG_DSN = os.environ.get("LGSP_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
QUIET = {"LGSP_LOG_LEVEL": "error"}
LOGGED = {"LGSP_LOG_LEVEL": "info", "LGSP_LOG_FORMAT": "json"}


@dataclass
class Stage:
    """The running scenarios: what to send where, and the gateway processes to watch."""

    targets: dict[str, Target]
    pids: dict[str, int]
    mock_url: str
    numbers: list[str]
    notes: list[str]


def gateway_env(work: Path, name: str) -> dict[str, str]:
    """S2's configuration (SQLite audit, info logging) with its own audit file."""
    return {"LGSP_AUDIT_DSN": f"sqlite:///{work / f'{name}-audit.sqlite3'}", **LOGGED}


async def _pg_reachable(dsn: str) -> str | None:
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


async def _drop_schema(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


@contextmanager
def _postgres_schema() -> Iterator[str | None]:
    """A throw-away schema for S3's audit tables (None when PostgreSQL does not answer)."""
    if (why := asyncio.run(_pg_reachable(PG_DSN))) is not None:
        yield None
        print(f"S3 skipped: PostgreSQL not reachable at {PG_DSN}: {why}")
        return
    schema = f"bench_{os.getpid()}_{int(time.time())}"
    try:
        yield schema
    finally:
        asyncio.run(_drop_schema(PG_DSN, schema))


@contextmanager
def stage(work: Path, names: list[str]) -> Iterator[Stage]:
    """Start what ``names`` need; yield their targets."""
    with ExitStack() as stack:
        enter = stack.enter_context
        mock = enter(fleet.mock(work, "mock", fleet.LOAD_CPU, []))
        numbers = fleet.sample_numbers(mock.url)
        result = Stage({}, {}, mock.url, numbers, [])
        servers: dict[str, Callable[[], fleet.Endpoint | None]] = {
            "S0": lambda: enter(fleet.mock(work, "mock-s0", fleet.SERVER_CPU, [])),
            "B1": lambda: enter(fleet.reference_app(work, "bare")),
            "B2": lambda: enter(fleet.reference_app(work, "naive", mock.url)),
            "S1": lambda: enter(
                fleet.gateway(work, "s1", mock.url, {"LGSP_AUDIT_DSN": "none:", **QUIET})
            ),
            "S2": lambda: enter(fleet.gateway(work, "s2", mock.url, gateway_env(work, "s2"))),
            "S3": lambda: _s3(stack, work, mock.url, result),
            "S2T": lambda: _traced(stack, work, mock.url),
            "S2W2": lambda: enter(
                fleet.gateway(work, "s2w2", mock.url, _redis_limits(work, "s2w2"), workers=2)
            ),
            "S4": lambda: _faulty(stack, work, "s4", FAIL_5_PERCENT),
            "S5": lambda: _faulty(stack, work, "s5", ADD_10_MS),
        }
        for name in names:
            endpoint = servers[name]()
            if endpoint is None:
                continue
            result.pids[name] = endpoint.pid
            if name == "S0":
                result.targets[name] = mock_target(name, endpoint.url, numbers)
            else:
                headers = fleet.portal_headers(endpoint.url) if name[0] == "S" else {}
                result.targets[name] = gateway_target(name, endpoint.url, numbers, headers)
        yield result


def _s3(stack: ExitStack, work: Path, mock_url: str, result: Stage) -> fleet.Endpoint | None:
    schema = stack.enter_context(_postgres_schema())
    if schema is None:
        result.notes.append(f"S3 skipped: PostgreSQL not reachable at {PG_DSN}")
        return None
    env = {**LOGGED, "LGSP_AUDIT_DSN": f"{PG_DSN}?schema={schema}"}
    return stack.enter_context(fleet.gateway(work, "s3", mock_url, env))


def _traced(stack: ExitStack, work: Path, mock_url: str) -> fleet.Endpoint:
    sink = stack.enter_context(fleet.reference_app(work, "otlp_sink", cpu=fleet.LOAD_CPU))
    env = {**gateway_env(work, "s2t"), "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url}
    return stack.enter_context(fleet.gateway(work, "s2t", mock_url, env))


def _redis_limits(work: Path, name: str) -> dict[str, str]:
    limits = {"LGSP_RATE_LIMIT_BACKEND": "redis", "LGSP_REDIS_URL": REDIS_URL}
    return {**gateway_env(work, name), **limits}


def _faulty(stack: ExitStack, work: Path, name: str, rule: dict[str, object]) -> fleet.Endpoint:
    mock = stack.enter_context(fleet.mock(work, f"mock-{name}", fleet.LOAD_CPU, [rule]))
    return stack.enter_context(fleet.gateway(work, name, mock.url, gateway_env(work, name)))
