"""Request dependencies, as named ``Annotated`` aliases the routers declare.

``CurrentClient`` authenticates the bearer token against the registry; ``PurposeOfUse`` reads and
checks the purpose headers that every data call must carry (X-Road's "user and case on every
message"): ``X-Purpose-Code`` (MaDVC, the procedure code), ``X-Officer-Id`` (MaCanBo), optional
``X-Case-Id`` (the dossier); their syntax and problem codes are rules in ``gateway.api.params``.
``inquiry_about`` / ``inquiry_for`` build the typed :class:`~gateway.services.inquiry.Inquiry` a
use case starts from; every dependency records what it learnt in the request's typed context
(``gateway.context``), never in starlette's untyped state.

Every dependency here is ``async def`` even when it never awaits: FastAPI runs a plain ``def``
dependency in a worker thread, and two thread hand-offs per look-up cost more than the checks
themselves (docs/performance.md, "Gateway").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2

from contracts.ids import NUMBER_PATTERN
from gateway.api.params import CASE_ID, OFFICER_ID, PURPOSE_CODE
from gateway.context import RequestContext, context_of
from gateway.errors import Forbidden, InvalidInput, RateLimited, Unauthenticated
from gateway.runtime import Runtime
from gateway.security.clients import ClientRecord, Operation
from gateway.security.tokens import TokenError
from gateway.services.inquiry import Inquiry, Purpose

__all__ = [
    "Context",
    "CurrentClient",
    "NumberPath",
    "Purpose",
    "PurposeOfUse",
    "RuntimeDep",
    "inquiry_about",
    "inquiry_for",
    "require_operation",
]

# Declared as OAuth2 client credentials so the OpenAPI document says where tokens come from and
# the interactive docs' "Authorize" button can fetch one; on the wire it is a bearer token.
_oauth2 = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth2/token")),
    scheme_name="OAuth2ClientCredentials",
    description="Access token from POST /oauth2/token (client credentials grant).",
    auto_error=False,
)
_SINGLE_HEADERS = ("X-Purpose-Code", "X-Officer-Id", "X-Case-Id")


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _context(request: Request) -> RequestContext:
    return context_of(request)


Context = Annotated[RequestContext, Depends(_context)]


def _challenge(code: str, detail: str) -> Unauthenticated:
    return Unauthenticated(
        code, detail, headers={"WWW-Authenticate": f'Bearer error="invalid_token", code="{code}"'}
    )


def _bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _current_client(
    context: Context,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Depends(_oauth2)],
) -> ClientRecord:
    token = _bearer_token(authorization)
    if token is None:
        raise Unauthenticated(
            "missing_token",
            "Send Authorization: Bearer <token> (get one from POST /oauth2/token).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        claims = runtime.tokens.verify(token)
    except TokenError as exc:
        raise _challenge(exc.code, str(exc)) from exc
    client = runtime.clients.get(claims.client_id)
    if client is None or not client.enabled or client.secret_version != claims.secret_version:
        raise _challenge("token_revoked", "The client was disabled or its secret rotated.")
    context.client_id, context.agency_code = client.client_id, client.agency_code
    return client


CurrentClient = Annotated[ClientRecord, Depends(_current_client)]


async def _purpose(
    request: Request,
    client: CurrentClient,
    purpose_code: Annotated[str, PURPOSE_CODE.header()],
    officer_id: Annotated[str, OFFICER_ID.header()],
    case_id: Annotated[str | None, CASE_ID.header()] = None,
) -> Purpose:
    """The purpose headers, already checked against their rules (``gateway.api.params``)."""
    _refuse_repeated_headers(request)
    if client.purpose_codes is not None and purpose_code not in client.purpose_codes:
        raise Forbidden("purpose_not_granted", "This client may not use that procedure code.")
    context_of(request).purpose_code = purpose_code
    return Purpose(purpose_code, officer_id, case_id)


PurposeOfUse = Annotated[Purpose, Depends(_purpose)]


def _refuse_repeated_headers(request: Request) -> None:
    """Two purposes in one request would leave the audit record ambiguous: refuse them."""
    for name in _SINGLE_HEADERS:
        if len(request.headers.getlist(name)) > 1:
            raise InvalidInput("duplicate_header", f"{name} was sent more than once; send it once.")


def require_operation(operation: Operation) -> object:
    """A dependency that refuses clients not granted ``operation`` and applies their rate."""

    async def check(context: Context, client: CurrentClient, runtime: RuntimeDep) -> None:
        context.operation = operation.value
        if operation not in client.operations:
            raise Forbidden("operation_not_granted", f"This client is not granted {operation}.")
        decision = await runtime.rate_limiter.acquire(
            client.client_id, client.rate_per_s, client.burst
        )
        if not decision.allowed:
            raise RateLimited(
                "rate_limited",
                "Over this client's request rate; retry later.",
                retry_after=decision.retry_after_s,
                headers=decision.headers(),
            )

    return Depends(check)


def inquiry_for(operation: str) -> object:
    """A dependency giving the :class:`Inquiry` of an ``operation`` that names no citizen."""

    async def inquiry(context: Context, client: CurrentClient, purpose: PurposeOfUse) -> Inquiry:
        return Inquiry(context, client, purpose, operation)

    return Depends(inquiry)


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


def inquiry_about(operation: Operation) -> object:
    """A dependency giving the :class:`Inquiry` about the citizen the path's ``number`` names,
    parsed once here; a bad number is kept for the audited call to refuse (and audit)."""

    async def inquiry(
        context: Context, client: CurrentClient, purpose: PurposeOfUse, number: NumberPath
    ) -> Inquiry:
        return Inquiry.about(context, client, purpose, operation.value, number)

    return Depends(inquiry)
