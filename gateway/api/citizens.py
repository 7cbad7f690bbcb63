"""Citizen data for portals: look-up, verification of typed details, household.

Each route authenticates the client, checks its grant and rate (``require_operation``), requires
the purpose headers, validates the number, calls the national side through the adapter inside
``run_audited`` (audit committed before the answer), and discloses only what the client may see.
The audited call runs inside admission control (``runtime.admission``): a slot or 503
``overloaded``, the caller's deadline (``X-Request-Timeout``), and abandoned if the caller goes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import Response

from adapters.ngsp import CallContext
from contracts.ids import NUMBER_PATTERN, InvalidNumber, parse_number
from contracts.models import (
    Citizen,
    Household,
    Sex,
    VerifyRequest,
    VerifyResult,
)
from gateway.admission import DECLARED_TIMEOUT
from gateway.api.deps import CurrentClient, PurposeOfUse, RuntimeDep, require_operation
from gateway.errors import Forbidden, InvalidInput, NotFound, problem_responses
from gateway.security.clients import Operation
from gateway.services.audited import Answer, run_audited
from gateway.services.disclosures import (
    household_disclosures,
    lookup_disclosures,
    verify_disclosures,
)
from gateway.services.matching import Details, Strategy, compare_details
from gateway.services.projection import project_citizen

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/citizens", tags=["citizens"])

_DATA_CALL = (401, 403, 404, 422, 429, 502, 503, 504)
_TEXTS = {
    403: "The client is not granted this operation or purpose.",
    404: "No citizen with this number.",
    422: "Invalid number or missing purpose headers.",
}
_PROBLEMS = problem_responses(*_DATA_CALL, descriptions=_TEXTS)
_VERIFY_PROBLEMS = problem_responses(
    400, 413, *_DATA_CALL, descriptions={**_TEXTS, 422: "Invalid fields or purpose headers."}
)


class _NumberSegment(StringConvertor):
    """A path segment that is a citizen number's place, never this router's own ``verify``.

    Without it ``GET /verify`` reached the look-up as the number "verify" (422) instead of
    answering 405 with ``Allow: POST``: the method, not the number, is what is wrong.
    """

    regex = r"(?!verify$)[^/]+"


register_url_convertor("citizen_number", _NumberSegment())

NumberPath = Annotated[
    str,
    Path(
        description="12-digit personal id (số định danh) or 9-digit CMND. A personal id whose "
        "birth year is in the future answers 422 `birth_year_in_future`.",
        examples=["054092000123"],
        # Documented, not enforced here: the gateway's own parser answers (and audits) bad
        # numbers with its precise codes; the pattern is derived from the same province table.
        json_schema_extra={"pattern": NUMBER_PATTERN},
    ),
]


def checked_number(text: str) -> str:
    try:
        return parse_number(text).value
    except InvalidNumber as exc:
        raise InvalidInput(exc.code, exc.detail) from exc


@router.post(
    "/verify",
    summary="Verify what a citizen typed against the national record",
    operation_id="verifyCitizen",
    response_model=VerifyResult,
    responses=_VERIFY_PROBLEMS,
    dependencies=[require_operation(Operation.VERIFY), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def verify_citizen(
    payload: VerifyRequest,
    request: Request,
    client: CurrentClient,
    purpose: PurposeOfUse,
    runtime: RuntimeDep,
) -> Response:
    """Per-field match / mismatch / not_provided and an overall match; no stored value leaves."""
    strategy = Strategy(payload.strategy)
    if strategy.value not in client.verify_strategies:
        raise Forbidden("strategy_not_granted", f"This client is not granted {strategy} matching.")

    async def call(ctx: CallContext) -> Answer:
        number = checked_number(payload.number)
        citizen = await runtime.ngsp.lookup_citizen(number, ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        verdict = compare(payload, citizen, strategy)
        outcome = "success" if verdict.match else "mismatch"
        disclosed = verify_disclosures(number, citizen, verdict.fields.model_dump().items())
        return Answer(verdict.model_dump_json().encode(), (), outcome, disclosed=disclosed)

    async with runtime.admission.admitted(request, client) as gate:
        answer = await run_audited(
            request,
            runtime,
            client=client,
            purpose=purpose,
            operation="verify",
            subject=payload.number,
            call=gate.guarded(call),
        )
    return Response(answer.body, media_type="application/json")


def compare(typed: VerifyRequest, citizen: Citizen, strategy: Strategy) -> VerifyResult:
    details = Details(typed.full_name, typed.date_of_birth, Sex(typed.sex) if typed.sex else None)
    fields = compare_details(details, citizen, strategy)
    verdicts = fields.model_dump().values()
    return VerifyResult(match="mismatch" not in verdicts, strategy=strategy.value, fields=fields)


@router.get(
    "/{number:citizen_number}/household",
    summary="The household of a citizen: members and their relation to the head",
    operation_id="getHousehold",
    responses={200: {"model": Household}, **_PROBLEMS},
    dependencies=[require_operation(Operation.HOUSEHOLD), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def citizen_household(
    number: NumberPath,
    request: Request,
    client: CurrentClient,
    purpose: PurposeOfUse,
    runtime: RuntimeDep,
) -> Response:
    """Members (relation code, numbers, name, sex, birth date) and the head (ChuHo)."""

    async def call(ctx: CallContext) -> Answer:
        asked = checked_number(number)
        household = await runtime.ngsp.household(asked, ctx)
        if household is None:
            raise NotFound("household_not_found", "No household is registered for this number.")
        fields = ("household_book_number", "head", "members")
        body = household.model_dump_json(exclude_none=True).encode()
        return Answer(body, fields, disclosed=household_disclosures(asked, household))

    async with runtime.admission.admitted(request, client) as gate:
        answer = await run_audited(
            request,
            runtime,
            client=client,
            purpose=purpose,
            operation="household",
            subject=number,
            call=gate.guarded(call),
        )
    return Response(answer.body, media_type="application/json")


@router.get(
    "/{number:citizen_number}",
    summary="Look a citizen up by personal id or CMND",
    operation_id="lookupCitizen",
    responses={200: {"model": Citizen}, **_PROBLEMS},
    dependencies=[require_operation(Operation.LOOKUP), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def lookup_citizen(
    number: NumberPath,
    request: Request,
    client: CurrentClient,
    purpose: PurposeOfUse,
    runtime: RuntimeDep,
) -> Response:
    """The citizen record, reduced to the fields this client's field set allows.

    Sensitive fields (ethnicity, religion) only reach clients with the ``sensitive`` field set.
    """

    async def call(ctx: CallContext) -> Answer:
        asked = checked_number(number)
        citizen = await runtime.ngsp.lookup_citizen(asked, ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        body, fields = project_citizen(citizen, client.field_set)
        return Answer(body, fields, disclosed=lookup_disclosures(asked, citizen, fields))

    async with runtime.admission.admitted(request, client) as gate:
        answer = await run_audited(
            request,
            runtime,
            client=client,
            purpose=purpose,
            operation="lookup",
            subject=number,
            call=gate.guarded(call),
        )
    return Response(answer.body, media_type="application/json")
