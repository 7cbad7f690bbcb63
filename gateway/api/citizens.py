"""Citizen look-ups for portals: ``GET /api/v1/citizens/{number}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from adapters.ngsp import CallContext
from contracts.ids import InvalidNumber, parse_number
from contracts.models import Citizen, Problem
from gateway.api.deps import CurrentClient, PurposeOfUse, RuntimeDep, require_operation
from gateway.errors import InvalidInput, NotFound
from gateway.security.clients import Operation
from gateway.services.audited import Answer, run_audited
from gateway.services.projection import project_citizen

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/citizens", tags=["citizens"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for status, text in {
        401: "Missing, invalid or expired token.",
        403: "The client is not granted this operation or purpose.",
        404: "No citizen with this number.",
        422: "Invalid number or missing purpose headers.",
        429: "Over the client's rate (see Retry-After).",
        502: "The national service failed or answered garbage.",
        503: "Circuit open, maintenance, or audit store unavailable (fail closed).",
        504: "The national service was too slow for the deadline.",
    }.items()
}

NumberPath = Annotated[
    str,
    Path(
        description="12-digit personal id (số định danh) or 9-digit CMND.",
        examples=["054092000123"],
    ),
]


def checked_number(text: str) -> str:
    try:
        return parse_number(text).value
    except InvalidNumber as exc:
        raise InvalidInput(exc.code, exc.detail) from exc


@router.get(
    "/{number}",
    summary="Look a citizen up by personal id or CMND",
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
    """The citizen record, reduced to the fields this client's field set allows."""

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
