"""Where the service tests find PostgreSQL and Redis, and what they do when a service is absent.

A test that needs a server asks for it through ``await postgres_dsn_or_skip()`` or
``await redis_url_or_skip()``: when the server does not answer, the test is skipped, or fails
instead when ``LGSP_REQUIRE_SERVICES=1`` (CI sets it, so a missing service can never pass as a
skip there). Addresses come from ``LGSP_TEST_POSTGRES_DSN`` / ``LGSP_TEST_REDIS_URL`` and default
to the local servers. Each probe runs once per process.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

import asyncpg
import pytest
import redis.asyncio as redis

__all__ = [
    "postgres_dsn",
    "postgres_dsn_or_skip",
    "redis_url",
    "redis_url_or_skip",
    "require_or_skip",
    "services_required",
]

_PROBE_TIMEOUT_S = 3.0
_reachable: dict[str, str | None] = {}  # address -> None when reachable, else why not


def services_required() -> bool:
    return os.environ.get("LGSP_REQUIRE_SERVICES") == "1"


def require_or_skip(reason: str) -> NoReturn:
    """Skip the test, or fail it when services are required (LGSP_REQUIRE_SERVICES=1)."""
    if services_required():
        pytest.fail(f"{reason} (LGSP_REQUIRE_SERVICES=1: a service test may not skip)")
    pytest.skip(reason)


def postgres_dsn() -> str:
    return os.environ.get("LGSP_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def redis_url() -> str:
    return os.environ.get("LGSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def postgres_dsn_or_skip() -> str:
    """The PostgreSQL DSN, once it answered a connection; else skip (or fail, see above)."""
    dsn = postgres_dsn()
    if dsn not in _reachable:
        _reachable[dsn] = await _probe_postgres(dsn)
    if (why := _reachable[dsn]) is not None:
        require_or_skip(f"PostgreSQL not reachable at {dsn}: {why}")
    return dsn


async def drop_schemas(dsn: str, *schemas: str) -> None:
    """Drop the throw-away schemas a test made, with everything in them."""
    connection = await asyncpg.connect(dsn)
    try:
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


@asynccontextmanager
async def throwaway_schema(prefix: str) -> AsyncIterator[str]:
    """A PostgreSQL DSN naming a fresh schema ``<prefix>_<random>``, dropped afterwards, so tests
    never share tables (skips, or fails in CI, without a server)."""
    base = await postgres_dsn_or_skip()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{base}?schema={schema}"
    finally:
        await drop_schemas(base, schema)


async def redis_url_or_skip() -> str:
    """The Redis URL, once it answered a PING; else skip (or fail, see above)."""
    url = redis_url()
    if url not in _reachable:
        _reachable[url] = await _probe_redis(url)
    if (why := _reachable[url]) is not None:
        require_or_skip(f"Redis not reachable at {url}: {why}")
    return url


async def _probe_postgres(dsn: str) -> str | None:
    try:
        connection = await asyncpg.connect(dsn, timeout=_PROBE_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


async def _probe_redis(url: str) -> str | None:
    client = redis.from_url(url, socket_connect_timeout=_PROBE_TIMEOUT_S)
    try:
        await client.ping()
    except (OSError, TimeoutError, redis.RedisError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None
