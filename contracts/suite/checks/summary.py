"""Run-wide summaries: every answer the run received, judged against the contract.

Their phase (``REVIEW``) puts them after the audit checks, so that the auditor's own calls are
judged too, and before Schemathesis, whose deliberately odd requests are its own to judge. The
defects were noted as each answer arrived (``RunContext._inspect``).
"""

from __future__ import annotations

from contracts.suite._context import CheckSkipped, RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import Phase, check

D = Concern.DATA_CONTRACT


# Answers to judge: selected alone (``--only``), a review first runs a check that calls the API.
ANSWERS = (Fact.AUDITED_CALLS,)


def _defects(ctx: RunContext, kind: str, *, judged: int) -> None:
    """Fail on the run's defects of ``kind``; skip when no answer of the kind was received, so a
    run with nothing to judge never passes."""
    if not judged:
        raise CheckSkipped(f"no answer of this run to judge ({kind})")
    found = [d for d in ctx.defects if d.kind == kind]
    for defect in found[:20]:
        ctx.note(f"{defect.exchange.describe()}: {defect.detail}")
    ctx.note(f"{len(ctx.exchanges)} answers examined")
    expect(not found, f"{len(found)} answer(s) break the contract")


@check(
    "data.response-schemas",
    D,
    "Every answer conforms to the OpenAPI contract",
    "Every answer of the run to a documented operation has a documented status (or an API-wide "
    "problem status) and a body that validates against its schema in "
    "contracts/openapi/gateway-v1.json (JSON Schema 2020-12).",
    needs=ANSWERS,
    phase=Phase.REVIEW,
)
def response_schemas(ctx: RunContext) -> None:
    gaps = [d for d in ctx.defects if d.kind == "doc-gap"]
    for gap in gaps[:20]:
        ctx.note(f"documentation gap (not a failure): {gap.exchange.describe()}: {gap.detail}")
    _defects(ctx, "schema", judged=len(ctx.exchanges))


@check(
    "data.problem-details",
    D,
    "Every error is an RFC 9457 problem with a stable code",
    "Every 4xx/5xx answer of the API is application/problem+json with a string code, "
    "type urn:lgsp:problem:<code>, the HTTP status, and the request's id.",
    needs=(Fact.PROBLEM_ANSWERS,),
    phase=Phase.REVIEW,
)
def problem_details(ctx: RunContext) -> None:
    errors = sum(1 for exchange in ctx.exchanges if exchange.status >= 400)
    _defects(ctx, "problem", judged=errors)


@check(
    "data.request-id-echo",
    D,
    "Every answer echoes X-Request-ID",
    "Every answer of the run carries the X-Request-ID the suite sent (the id the audit trail and "
    "NGSP's MaYeuCau use).",
    needs=ANSWERS,
    phase=Phase.REVIEW,
)
def request_id_echo(ctx: RunContext) -> None:
    _defects(ctx, "request-id", judged=len(ctx.exchanges))
