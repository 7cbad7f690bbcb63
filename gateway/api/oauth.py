"""``POST /oauth2/token``: portal clients exchange their credentials for an access token.

OAuth2 client-credentials grant (RFC 6749 §4.4); the client authenticates with HTTP Basic or with
``client_id`` / ``client_secret`` form fields (§2.3.1). Errors use the RFC's JSON shape;
an address or client id over its failed-attempt budget gets 429 ``auth_throttled`` (problem+json,
Retry-After). Secret checks, their timing and the throttling live in ``gateway.security.authn``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from starlette.responses import Response

from gateway.api.deps import RuntimeDep
from gateway.errors import RateLimited, problem_responses
from gateway.security.authn import AuthFailed, AuthThrottled

__all__ = ["router"]

router = APIRouter(tags=["oauth2"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 -- the OAuth2 token type, not a secret
    expires_in: int
    scope: str


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="lgsp"'
    return Response(
        orjson.dumps({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@router.post(
    "/oauth2/token",
    summary="Get an access token (client credentials)",
    response_model=TokenResponse,
    responses={
        400: {"description": "Unsupported grant (RFC 6749 error JSON)"},
        401: {"description": "Bad client (RFC 6749 error JSON)"},
        **problem_responses(
            422,
            429,
            descriptions={
                422: "Malformed form fields.",
                429: "Too many failed attempts from this address or for this client id.",
            },
        ),
    },
)
async def issue_token(
    request: Request,
    runtime: RuntimeDep,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> Response:
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    credentials = _basic_credentials(request) or (client_id or "", client_secret or "")
    address = request.client.host if request.client is not None else "unknown"
    try:
        client = await runtime.authenticator.authenticate(address, *credentials)
    except AuthFailed:
        return _oauth_error(401, "invalid_client", "Unknown client, wrong secret, or disabled.")
    except AuthThrottled as exc:
        raise RateLimited(
            "auth_throttled",
            "Too many failed attempts; retry later.",
            retry_after=exc.retry_after,
            headers={"Cache-Control": "no-store"},
        ) from exc
    request.state.client_id = client.client_id
    scope = [op.value for op in client.operations]
    token = runtime.tokens.issue(client.client_id, client.secret_version, scope)
    body = TokenResponse(
        access_token=token, expires_in=runtime.tokens.lifetime_s, scope=" ".join(sorted(scope))
    )
    return Response(
        body.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
