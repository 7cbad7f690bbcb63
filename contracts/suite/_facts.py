"""What a gateway run knows, typed: the facts checks need and produce, and where each comes from.

A check declares the facts it cannot run without (``needs``) and the ones it leaves behind for
others (``produces``); the runner orders the checks so that producers run first, and runs a
producer on its own when only a consumer was selected (``--only``). Three kinds of fact exist:

* *given* by the tester: an identity (``basic``, ``auditor``) or the mock's admin URL (``mock``);
* *found* before the checks by ``_targets``: citizens known to exist or not, and the pool the
  fault scenarios draw from;
* *produced* by a check: what the audit checks, the report's environment table or the spec
  coverage read afterwards.

``verify-ngsp`` runs on the same names and the same :class:`Facts` (given ``mock``; found
``citizen``, ``absent``, ``person``), planned by the same ``_plan``: one vocabulary, so a check of
either suite is selected, ordered and skipped alike.

Personal data in here (a sampled person's name and birth date) stays in memory: nothing of
:class:`Facts` is written into a report but the masked evidence the checks note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["FOUND", "GIVEN", "CitizenPool", "Fact", "Facts", "PeerAnswer"]

PeerAnswer = tuple[str, str, int]  # (method, path, status) of one Schemathesis exchange


class Fact(StrEnum):
    """A name a check can declare in ``needs`` or ``produces``."""

    BASIC = "basic"
    AUDITOR = "auditor"
    MOCK = "mock"
    CITIZEN = "citizen"
    PERSON = "person"
    CMND = "cmnd"
    ABSENT = "absent"
    POOL = "pool"
    READINESS = "readiness"
    GATEWAY_VERSION = "gateway-version"
    AUDITED_CALLS = "audited-calls"
    PROBLEM_ANSWERS = "problem-answers"
    CITIZEN_LOOKUPS = "citizen-lookups"
    CMND_LOOKUPS = "cmnd-lookups"
    ATTEMPTS = "attempts"
    PEER_ANSWERS = "peer-answers"
    SPEC_COVERAGE = "spec-coverage"


GIVEN = frozenset({Fact.BASIC, Fact.AUDITOR, Fact.MOCK})
FOUND = frozenset({Fact.CITIZEN, Fact.PERSON, Fact.CMND, Fact.ABSENT, Fact.POOL})


class CitizenPool:
    """Sampled citizens handed out one per fault scenario, so no two scenarios share a fault rule.

    Each scenario takes its own citizen instead of reading a shared list, so the scenarios run in
    any order, or alone; ``everyone`` keeps the whole sample for the audit checks, which search
    records for any number the run used.
    """

    def __init__(self, numbers: list[str] | None = None) -> None:
        self.everyone: tuple[str, ...] = tuple(numbers or ())
        self._left = list(self.everyone)

    def __bool__(self) -> bool:
        return bool(self.everyone)

    def take(self) -> str | None:
        """A citizen no scenario of this run has used yet (``None`` once the sample is spent)."""
        return self._left.pop() if self._left else None


@dataclass(slots=True)
class Facts:
    """Every fact of one run; ``None`` (or empty) until found or produced."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    citizen: str | None = None
    person: dict[str, Any] | None = None  # name and birth date: memory only, never reported
    cmnd: str | None = None
    cmnd_holder: str | None = None
    absent: str | None = None
    pool: CitizenPool = field(default_factory=CitizenPool)
    mock_info: str | None = None
    mock_error: str | None = None
    readiness: str | None = None
    gateway_version: str | None = None
    attempts: dict[str, int] = field(default_factory=dict)  # request id → journal attempts
    peer_answers: list[PeerAnswer] | None = None
    spec_coverage: str | None = None
    # Caches, fetched on first use by whichever check asks: not facts to order by.
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # identity → GET /api/v1/me
    trail: dict[str, dict[str, Any]] | None = None  # request id → audit record
    ngsp_token: str | None = None  # verify-ngsp: the bearer token NGSP issued the suite

    def holds(self, fact: Fact) -> bool:
        """Whether a found or stored produced ``fact`` is there (not the given or derived ones)."""
        value = {
            Fact.CITIZEN: self.citizen,
            Fact.PERSON: self.person,
            Fact.CMND: self.cmnd,
            Fact.ABSENT: self.absent,
            Fact.POOL: self.pool or None,
            Fact.READINESS: self.readiness,
            Fact.GATEWAY_VERSION: self.gateway_version,
            Fact.ATTEMPTS: self.attempts or None,
            Fact.PEER_ANSWERS: self.peer_answers,
            Fact.SPEC_COVERAGE: self.spec_coverage,
        }.get(fact)
        return value is not None
