"""Request dependencies, as named ``Annotated`` aliases the routers declare.

``CurrentClient`` authenticates the bearer token against the registry; ``PurposeOfUse`` reads and
checks the purpose headers that every data call must carry (X-Road's "user and case on every
message"): ``X-Purpose-Code`` (MaDVC, the procedure code), ``X-Officer-Id`` (MaCanBo), optional
``X-Case-Id`` (the dossier); their syntax and problem codes are rules in ``gateway.api.params``.

Every dependency here is ``async def`` even when it never awaits: FastAPI runs a plain ``def``
dependency in a worker thread, and two thread hand-offs per look-up cost more than the checks
themselves (docs/performance.md, "Gateway").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2

from gateway.api.params import CASE_ID, OFFICER_ID, PURPOSE_CODE
from gateway.errors import Forbidden, InvalidInput, RateLimited, Unauthenticated
from gateway.runtime import Runtime
from gateway.security.clients import ClientRecord, Operation
from gateway.security.tokens import TokenError

__all__ = ["CurrentClient", "Purpose", "PurposeOfUse", "RuntimeDep", "require_operation"]

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


def _challenge(code: str, detail: str) -> Unauthenticated:
    return Unauthenticated(
        code, detail, headers={"WWW-Authenticate": f'Bearer error="invalid_token", code="{code}"'}
    )


def _bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _current_client(
    request: Request,
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
    request.state.client_id = client.client_id
    request.state.agency_code = client.agency_code
    return client


CurrentClient = Annotated[ClientRecord, Depends(_current_client)]


@dataclass(frozen=True, slots=True)
class Purpose:
    code: str
    officer_id: str
    case_id: str | None


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
    request.state.purpose_code = purpose_code
    return Purpose(purpose_code, officer_id, case_id)


PurposeOfUse = Annotated[Purpose, Depends(_purpose)]


def _refuse_repeated_headers(request: Request) -> None:
    """Two purposes in one request would leave the audit record ambiguous: refuse them."""
    for name in _SINGLE_HEADERS:
        if len(request.headers.getlist(name)) > 1:
            raise InvalidInput("duplicate_header", f"{name} was sent more than once; send it once.")


def require_operation(operation: Operation) -> object:
    """A dependency that refuses clients not granted ``operation`` and applies their rate."""

    async def check(request: Request, client: CurrentClient, runtime: RuntimeDep) -> None:
        request.state.operation = operation.value
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
