"""Audit test helpers: events, raw access to a store's tables, a store the test controls."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from gateway.audit import AuditEvent, AuditRecord, AuditUnavailable
from gateway.audit._model import GENESIS_HASH, Anchor, ChainHead

KEY = b"test-only-audit-hmac-key-0123456789"
PERSONAL_ID = "054092008262"  # Phú Yên, male, born 1992
CMND = "221234567"


def make_event(**overrides: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "occurred_at": datetime.now(UTC),
        "request_id": uuid.uuid4().hex,
        "client_id": "portal-phu-yen",
        "agency_code": "000.00.00.H45",
        "officer_id": "officer-17",
        "purpose_code": "1.001612",
        "case_id": "HS-2021-0042",
        "operation": "lookup",
        "subject_number": PERSONAL_ID,
        "outcome": "success",
        "status": 200,
        "problem_code": None,
        "upstream_attempts": 1,
        "latency_ms": 41.25,
        "fields_returned": ("full_name", "date_of_birth", "permanent_address"),
    }
    values.update(overrides)
    return AuditEvent(**values)


async def execute(dsn: str, statement: str, *params: object) -> None:
    """Run raw SQL (``?`` placeholders) against the store's tables, as a tamperer would."""
    if dsn.startswith("sqlite:///"):
        await asyncio.to_thread(_sqlite_execute, dsn.removeprefix("sqlite:///"), statement, params)
        return
    base, _, schema = dsn.partition("?schema=")
    connection = await asyncpg.connect(base)
    try:
        await connection.execute(f'SET search_path TO "{schema}"')
        await connection.execute(_numbered(statement), *params)
    finally:
        await connection.close()


def _sqlite_execute(path: str, statement: str, params: Sequence[object]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement, params)
    connection.close()


def _numbered(statement: str) -> str:
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", statement)


class FakeStore:
    """An in-memory store whose commits can be held back or made to fail."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failure: AuditUnavailable | None = None
        self.appending = asyncio.Event()
        self.appends = 0

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ping(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def append(self, records: Sequence[AuditRecord]) -> None:
        self.appends += 1
        self.appending.set()
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        head = await self.last_link(records[0].writer_id)
        if records[0].prev_hash != (GENESIS_HASH if head is None else head.hash):
            raise AuditUnavailable("chain_conflict", "the chain moved on")
        self.records.extend(records)

    async def last_link(self, writer_id: str) -> ChainHead | None:
        mine = [r for r in self.records if r.writer_id == writer_id]
        return ChainHead(mine[-1].seq, mine[-1].hash) if mine else None

    async def anchor(self, writer_id: str) -> Anchor | None:
        return None
