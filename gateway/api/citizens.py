"""Citizen data for portals: look-up, verification of typed details, household.

The routes only declare HTTP. Their dependencies authenticate the client, check its grant and
rate (``require_operation``), require the purpose headers and build the typed inquiry (number
parsed once); the use cases in :mod:`gateway.services.citizens` call the national side, commit
the audit record and disclose only what the client may see. Each call runs inside admission
control (``runtime.admission``): a slot or 503 ``overloaded``, the caller's deadline
(``X-Request-Timeout``), and abandoned if the caller goes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import Response

from contracts.models import Citizen, Household, VerifyRequest, VerifyResult
from gateway.admission import DECLARED_TIMEOUT
from gateway.api.deps import (
    Context,
    CurrentClient,
    PurposeOfUse,
    RuntimeDep,
    inquiry_about,
    require_operation,
)
from gateway.errors import problem_responses
from gateway.security.clients import Operation
from gateway.services import citizens
from gateway.services.audited import Answer
from gateway.services.citizens import Verification
from gateway.services.inquiry import Inquiry

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


async def _verification(
    context: Context, client: CurrentClient, purpose: PurposeOfUse, payload: VerifyRequest
) -> Verification:
    inquiry = Inquiry.about(context, client, purpose, Operation.VERIFY.value, payload.number)
    return citizens.verification(inquiry, payload)


AskedToVerify = Annotated[Verification, Depends(_verification)]
LookupInquiry = Annotated[Inquiry, inquiry_about(Operation.LOOKUP)]
HouseholdInquiry = Annotated[Inquiry, inquiry_about(Operation.HOUSEHOLD)]


def _json(answer: Answer) -> Response:
    return Response(answer.body, media_type="application/json")


@router.post(
    "/verify",
    summary="Verify what a citizen typed against the national record",
    operation_id="verifyCitizen",
    response_model=VerifyResult,
    responses=_VERIFY_PROBLEMS,
    dependencies=[require_operation(Operation.VERIFY), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def verify_citizen(asked: AskedToVerify, request: Request, runtime: RuntimeDep) -> Response:
    """Per-field match / mismatch / not_provided and an overall match; no stored value leaves."""
    async with runtime.admission.admitted(request, asked.inquiry.client) as gate:
        return _json(await citizens.verify(asked, runtime, gate.guarded))


@router.get(
    "/{number:citizen_number}/household",
    summary="The household of a citizen: members and their relation to the head",
    operation_id="getHousehold",
    responses={200: {"model": Household}, **_PROBLEMS},
    dependencies=[require_operation(Operation.HOUSEHOLD), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def citizen_household(
    inquiry: HouseholdInquiry, request: Request, runtime: RuntimeDep
) -> Response:
    """Members (relation code, numbers, name, sex, birth date) and the head (ChuHo)."""
    async with runtime.admission.admitted(request, inquiry.client) as gate:
        return _json(await citizens.household(inquiry, runtime, gate.guarded))


@router.get(
    "/{number:citizen_number}",
    summary="Look a citizen up by personal id or CMND",
    operation_id="lookupCitizen",
    responses={200: {"model": Citizen}, **_PROBLEMS},
    dependencies=[require_operation(Operation.LOOKUP), DECLARED_TIMEOUT],  # type: ignore[list-item]
)
async def lookup_citizen(inquiry: LookupInquiry, request: Request, runtime: RuntimeDep) -> Response:
    """The citizen record, reduced to the fields this client's field set allows.

    Sensitive fields (ethnicity, religion) only reach clients with the ``sensitive`` field set.
    """
    async with runtime.admission.admitted(request, inquiry.client) as gate:
        return _json(await citizens.look_up(inquiry, runtime, gate.guarded))
