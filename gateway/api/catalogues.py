"""``GET /api/v1/catalogues/admin-units/{code}``: the shared catalogue (danh mục dùng chung).

Administrative units of both eras from the official tables vendored in ``contracts/admin_eras``:
name, level, parent, and the other era's codes (every candidate where old→new is 1:N, with
``partial``). Reference data, no personal data: any authenticated client may read it, and it is
not an audited look-up.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from contracts.admin_eras import entry
from contracts.models import AdminUnitEntry
from gateway.api.deps import CurrentClient
from gateway.errors import InvalidInput, UnknownReference, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/catalogues", tags=["catalogues"])


@router.get(
    "/admin-units/{code}",
    summary="An administrative unit of 2021 or 2025 and its codes in the other era",
    operation_id="getAdminUnit",
    response_model=AdminUnitEntry,
    responses=problem_responses(401, 404, 422),
)
async def admin_unit(
    request: Request,
    code: Annotated[
        str,
        Path(
            pattern=r"^\d{2,5}$",
            description="2-digit province, 3-digit district (2021 only), 5-digit ward/commune.",
            examples=["22024"],
        ),
    ],
    _client: CurrentClient,
    era: Annotated[
        Literal["2021", "2025"],
        Query(description="The era CODE belongs to: the same number names different places."),
    ] = "2021",
) -> AdminUnitEntry:
    if len(request.query_params.getlist("era")) > 1:
        # Two eras name two different places: taking one of them silently could answer wrong.
        raise InvalidInput("duplicate_parameter", "era was given more than once; give it once.")
    found = entry(code, era)
    if found is None:
        raise UnknownReference(
            "admin_unit_not_found",
            f"No {era} administrative unit has this code; check it, or ask the other era.",
        )
    return found
