"""Citizen data for portals: look-up, verification of typed details, household.

Each route authenticates the client, checks its grant and rate (``require_operation``), requires
the purpose headers, validates the number, calls the national side through the adapter inside
``run_audited`` (audit committed before the answer), and discloses only what the client may see.
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
    VerifyFields,
    VerifyRequest,
    VerifyResult,
)
from gateway.api.deps import CurrentClient, PurposeOfUse, RuntimeDep, require_operation
from gateway.errors import Forbidden, InvalidInput, NotFound, problem_responses
from gateway.security.clients import Operation
from gateway.services.audited import Answer, run_audited
from gateway.services.matching import Strategy, dates_match, names_match, result, sex_result
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
    dependencies=[require_operation(Operation.VERIFY)],  # type: ignore[list-item]
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
        citizen = await runtime.ngsp.lookup_citizen(checked_number(payload.number), ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        verdict = compare(payload, citizen, strategy)
        outcome = "success" if verdict.match else "mismatch"
        return Answer(verdict.model_dump_json().encode(), (), outcome)

    answer = await run_audited(
        request,
        runtime,
        client=client,
        purpose=purpose,
        operation="verify",
        subject=payload.number,
        call=call,
    )
    return Response(answer.body, media_type="application/json")


def compare(typed: VerifyRequest, citizen: Citizen, strategy: Strategy) -> VerifyResult:
    recorded_date = citizen.date_of_birth
    fields = VerifyFields(
        full_name=result(
            typed.full_name,
            typed.full_name is not None
            and names_match(typed.full_name, citizen.full_name, strategy),
        ),
        date_of_birth=result(
            typed.date_of_birth,
            typed.date_of_birth is not None
            and recorded_date is not None
            and dates_match(typed.date_of_birth, recorded_date),
        ),
        sex=sex_result(Sex(typed.sex) if typed.sex else None, citizen.sex),
    )
    verdicts = fields.model_dump().values()
    return VerifyResult(match="mismatch" not in verdicts, strategy=strategy.value, fields=fields)


@router.get(
    "/{number:citizen_number}/household",
    summary="The household of a citizen: members and their relation to the head",
    operation_id="getHousehold",
    responses={200: {"model": Household}, **_PROBLEMS},
    dependencies=[require_operation(Operation.HOUSEHOLD)],  # type: ignore[list-item]
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
        household = await runtime.ngsp.household(checked_number(number), ctx)
        if household is None:
            raise NotFound("household_not_found", "No household is registered for this number.")
        fields = ("household_book_number", "head", "members")
        return Answer(household.model_dump_json(exclude_none=True).encode(), fields)

    answer = await run_audited(
        request,
        runtime,
        client=client,
        purpose=purpose,
        operation="household",
        subject=number,
        call=call,
    )
    return Response(answer.body, media_type="application/json")


@router.get(
    "/{number:citizen_number}",
    summary="Look a citizen up by personal id or CMND",
    operation_id="lookupCitizen",
    responses={200: {"model": Citizen}, **_PROBLEMS},
    dependencies=[require_operation(Operation.LOOKUP)],  # type: ignore[list-item]
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
        citizen = await runtime.ngsp.lookup_citizen(checked_number(number), ctx)
        if citizen is None:
            raise NotFound("citizen_not_found", "No citizen has this number.")
        body, fields = project_citizen(citizen, client.field_set)
        return Answer(body, fields)

    answer = await run_audited(
        request,
        runtime,
        client=client,
        purpose=purpose,
        operation="lookup",
        subject=number,
        call=call,
    )
    return Response(answer.body, media_type="application/json")
