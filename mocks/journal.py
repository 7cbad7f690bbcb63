"""The request journal: what the mock was asked, how it answered, and exact counts.

Testers assert on it the way WireMock users verify requests: total, per operation, per citizen
number and per outcome. The last ``size`` entries are kept in full; the counts are exact for the
whole run until reset.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Journal", "JournalEntry"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    at: float  # when the request was journalled (epoch seconds; ISO in the JSON view)
    operation: str  # SOAP operation, "token", or "unknown"
    number: str | None  # SoDinhDanh or SoCMND
    request_id: str | None  # MaYeuCau
    status: int  # HTTP status (0 when the connection was dropped)
    outcome: str  # ok, not_found, fault:302, unauthorized, injected:<kind>, ...
    rule: str | None  # id of the fault rule that acted, if any
    duration_ms: float


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self.total = 0
        self.by_operation: Counter[str] = Counter()
        self.by_number: Counter[str] = Counter()
        self.by_outcome: Counter[str] = Counter()
        self.by_operation_and_number: Counter[tuple[str, str]] = Counter()

    def record(
        self,
        *,
        operation: str,
        number: str | None,
        request_id: str | None,
        status: int,
        outcome: str,
        rule: str | None,
        duration_ms: float,
    ) -> None:
        entry = JournalEntry(
            time.time(), operation, number, request_id, status, outcome, rule, duration_ms
        )
        self._entries.append(entry)
        self.total += 1
        self.by_operation[operation] += 1
        self.by_outcome[outcome] += 1
        if number is not None:
            self.by_number[number] += 1
            self.by_operation_and_number[operation, number] += 1

    def count(self, operation: str | None = None, number: str | None = None) -> int:
        """Requests seen for an operation and/or a number (both None: all)."""
        if operation is not None and number is not None:
            return self.by_operation_and_number[operation, number]
        if operation is not None:
            return self.by_operation[operation]
        if number is not None:
            return self.by_number[number]
        return self.total

    def reset(self) -> None:
        self._entries.clear()
        self.total = 0
        for counter in (self.by_operation, self.by_number, self.by_outcome):
            counter.clear()
        self.by_operation_and_number.clear()

    def to_json(
        self, *, operation: str | None = None, number: str | None = None, limit: int = 100
    ) -> dict[str, Any]:
        entries = [
            {**asdict(e), "at": _iso(e.at)}
            for e in self._entries
            if (operation is None or e.operation == operation)
            and (number is None or e.number == number)
        ]
        return {
            "total": self.total,
            "count": self.count(operation, number),
            "by_operation": dict(self.by_operation),
            "by_number": dict(self.by_number),
            "by_outcome": dict(self.by_outcome),
            "entries": entries[-limit:] if limit > 0 else [],
        }
