"""The citizen use cases: look-up, verification of typed details, household.

Each takes the :class:`~gateway.services.inquiry.Inquiry` the dependencies built, runs inside
:func:`~gateway.services.audited.run_audited` (the audit record is committed before the answer
leaves), calls the national side through the adapter, and keeps only what the client may see.
``guard`` is admission control's wrapper for the NGSP call (deadline, abandoned if the caller
goes); it is the identity outside HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.ngsp import CallContext
from contracts.models import Citizen, Sex, VerifyRequest, VerifyResult
from gateway.errors import Forbidden, NotFound
from gateway.runtime import Runtime
from gateway.services.audited import Answer, Call, run_audited
from gateway.services.disclosures import (
    household_disclosures,
    lookup_disclosures,
    verify_disclosures,
)
from gateway.services.inquiry import Inquiry
from gateway.services.matching import Details, Strategy, compare_details
from gateway.services.projection import project_citizen

__all__ = ["Guard", "Verification", "household", "look_up", "verification", "verify"]

Guard = Callable[[Call], Call]

_HOUSEHOLD_FIELDS = ("household_book_number", "head", "members")


def _unguarded(call: Call) -> Call:
    return call


async def look_up(inquiry: Inquiry, runtime: Runtime, guard: Guard = _unguarded) -> Answer:
    """The citizen record, reduced to the fields the client's field set allows."""

    async def call(ctx: CallContext) -> Answer:
        asked = inquiry.subject().value
        citizen = await runtime.ngsp.lookup_citizen(asked, ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        body, fields = project_citizen(citizen, inquiry.client.field_set)
        return Answer(body, fields, disclosed=lookup_disclosures(asked, citizen, fields))

    return await run_audited(inquiry, runtime, guard(call))


async def household(inquiry: Inquiry, runtime: Runtime, guard: Guard = _unguarded) -> Answer:
    """Members (relation code, numbers, name, sex, birth date) and the head (ChuHo)."""

    async def call(ctx: CallContext) -> Answer:
        asked = inquiry.subject().value
        found = await runtime.ngsp.household(asked, ctx)
        if found is None:
            raise NotFound("household_not_found", "No household is registered for this number.")
        body = found.model_dump_json(exclude_none=True).encode()
        return Answer(body, _HOUSEHOLD_FIELDS, disclosed=household_disclosures(asked, found))

    return await run_audited(inquiry, runtime, guard(call))


@dataclass(frozen=True, slots=True)
class Verification:
    """A verification asked for: the inquiry, the details typed, and the granted strategy."""

    inquiry: Inquiry
    typed: VerifyRequest
    strategy: Strategy


def verification(inquiry: Inquiry, typed: VerifyRequest) -> Verification:
    """Refuses (403, before anything is looked up or audited) a strategy the client lacks."""
    strategy = Strategy(typed.strategy)
    if strategy.value not in inquiry.client.verify_strategies:
        raise Forbidden("strategy_not_granted", f"This client is not granted {strategy} matching.")
    return Verification(inquiry, typed, strategy)


async def verify(asked: Verification, runtime: Runtime, guard: Guard = _unguarded) -> Answer:
    """Per-field match / mismatch / not_provided and an overall match; no stored value leaves."""

    async def call(ctx: CallContext) -> Answer:
        number = asked.inquiry.subject().value
        citizen = await runtime.ngsp.lookup_citizen(number, ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        verdict = compare(asked.typed, citizen, asked.strategy)
        outcome = "success" if verdict.match else "mismatch"
        disclosed = verify_disclosures(number, citizen, verdict.fields.model_dump().items())
        return Answer(verdict.model_dump_json().encode(), (), outcome, disclosed=disclosed)

    return await run_audited(asked.inquiry, runtime, guard(call))


def compare(typed: VerifyRequest, citizen: Citizen, strategy: Strategy) -> VerifyResult:
    details = Details(typed.full_name, typed.date_of_birth, Sex(typed.sex) if typed.sex else None)
    fields = compare_details(details, citizen, strategy)
    verdicts = fields.model_dump().values()
    return VerifyResult(match="mismatch" not in verdicts, strategy=strategy.value, fields=fields)
