"""The citizens a run looks up: given on the command line, or drawn from the mock's sample.

No personal number is written into the suite: against a real deployment the tester names a test
citizen (``--citizen``) and a number known to be absent (``--absent-citizen``); against the mock
they come from ``/__admin/citizens/sample`` and ``/__admin/citizens/{number}`` (404 = absent).
What the sample tells about a person (name, birth date) stays in memory for the verify check and
is never written to a report.
"""

from __future__ import annotations

from typing import Any

import httpx

from contracts.suite._context import RunContext
from contracts.suite._facts import CitizenPool
from contracts.suite._model import redact

__all__ = ["absent_number", "citizen_record", "discover_targets", "mock_error", "mock_unreadable"]

_POOL_SIZE = 12
_ABSENT_TRIES = 50


def discover_targets(ctx: RunContext) -> None:
    """Fill ``ctx.facts`` with ``citizen``, ``person``, ``cmnd``, ``absent`` and ``pool``."""
    ctx.facts.citizen, ctx.facts.absent = ctx.config.citizen, ctx.config.absent_citizen
    if ctx.mock is None:
        return
    try:
        _from_mock(ctx, ctx.mock)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        ctx.facts.mock_error = mock_error(exc)


def mock_error(exc: Exception) -> str:
    """Why the mock could not be read, on one line, any citizen number in it masked."""
    first_line = str(exc).strip().splitlines()[:1]
    return redact(": ".join([type(exc).__name__, *first_line])[:200])


def mock_unreadable(error: str) -> str:
    """The one line a report and the console give when ``--mock-admin`` could not be read."""
    return f"given but could not be read ({error})"


def _sample(mock: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = mock.get("/__admin/citizens/sample", params=params)
    response.raise_for_status()
    people: list[dict[str, Any]] = response.json()
    return people


def citizen_record(mock: httpx.Client, number: str) -> dict[str, Any] | None:
    """The mock's whole record of ``number``, or None when the mock does not hold it."""
    response = mock.get(f"/__admin/citizens/{number}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    record: dict[str, Any] = response.json()
    return record


def _from_mock(ctx: RunContext, mock: httpx.Client) -> None:
    facts = ctx.facts
    info = mock.get("/__admin").json()
    facts.mock_info = ", ".join(
        f"{key} {info[key]}" for key in ("dialect", "population_size", "seed") if key in info
    )
    people = _sample(mock, n=_POOL_SIZE + 1, year_only="false")
    if facts.citizen is None:
        facts.person = people[0]
        facts.citizen = str(people[0]["personal_id"])
    else:  # the tester's citizen: its own details, never a sampled stranger's
        facts.person = citizen_record(mock, facts.citizen)
    facts.pool = CitizenPool([str(p["personal_id"]) for p in people[1:]])
    with_cmnd = _sample(mock, n=1, with_cmnd="true")
    facts.cmnd = str(with_cmnd[0]["cmnd"]) if with_cmnd else None
    facts.cmnd_holder = str(with_cmnd[0]["personal_id"]) if with_cmnd else None
    if facts.absent is None:
        facts.absent = absent_number(mock, facts.citizen)


def absent_number(mock: httpx.Client, known: str) -> str | None:
    """A number with the known one's structure (province, century, year) that nobody holds."""
    for serial in range(_ABSENT_TRIES):
        candidate = f"{known[:6]}{(999_999 - serial * 7919) % 1_000_000:06d}"
        if mock.get(f"/__admin/citizens/{candidate}").status_code == 404:
            return candidate
    return None
