"""``GET /api/v1/me``: what the calling client was granted, so integrators can check set-up."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.models import ClientGrants
from gateway.api.deps import CurrentClient
from gateway.errors import problem_responses
from gateway.services.projection import fields_for

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["clients"])


@router.get(
    "/me",
    summary="The calling client's grants",
    operation_id="getClientGrants",
    response_model=ClientGrants,
    responses=problem_responses(401, 422, 503, descriptions={503: "Maintenance (Retry-After)."}),
)
async def me(client: CurrentClient) -> ClientGrants:
    return ClientGrants(
        client_id=client.client_id,
        name=client.name,
        agency_code=client.agency_code,
        operations=sorted(op.value for op in client.operations),
        field_set=client.field_set.value,
        fields=sorted(fields_for(client.field_set)),
        verify_strategies=sorted(client.verify_strategies),
        purpose_codes=sorted(client.purpose_codes) if client.purpose_codes is not None else None,
        rate_per_s=client.rate_per_s,
        burst=client.burst,
    )
