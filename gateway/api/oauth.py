"""``POST /oauth2/token``: portal clients exchange their credentials for an access token.

OAuth2 client-credentials grant (RFC 6749 §4.4); the client authenticates with HTTP Basic or with
``client_id`` / ``client_secret`` form fields (§2.3.1). Every refusal, malformed requests
included, uses the RFC's JSON shape (§5.2), never a problem document: OAuth2 client libraries
read ``error``. Over its failed-attempt budget, an address or client id gets 429
``auth_throttled`` (problem+json, Retry-After) instead. Secret checks, their timing and the
throttling live in ``gateway.security.authn``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.api.deps import RuntimeDep
from gateway.context import context_of
from gateway.errors import RateLimited, problem_responses
from gateway.security.authn import AuthFailed, AuthThrottled

__all__ = ["router"]

router = APIRouter(tags=["oauth2"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 -- the OAuth2 token type, not a secret
    expires_in: int
    scope: str


class TokenRequest(BaseModel):
    """Token request (RFC 6749 §4.4.2), form-encoded; each parameter at most once.

    Client credentials go in HTTP Basic (preferred) or in client_id / client_secret, never
    both. Parameters not listed here are ignored (§3.1).
    """

    # One definition: validates the form in token_request() and is the OpenAPI's request body.

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"additionalProperties": {"type": "string"}}
    )

    grant_type: Literal["client_credentials"]
    client_id: str | None = Field(None, min_length=1, max_length=128)
    client_secret: str | None = Field(None, min_length=1, max_length=256)
    scope: str | None = Field(
        None,
        max_length=512,
        description="Ignored: a token's scope is the client's granted operations.",
    )


class OAuthError(BaseModel):
    """RFC 6749 §5.2 error response."""

    error: Literal["invalid_request", "invalid_client", "unsupported_grant_type"]
    error_description: str


class TokenRefused(Exception):
    """A token request the gateway answers with an RFC 6749 §5.2 error."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _invalid_request(description: str) -> TokenRefused:
    return TokenRefused(400, "invalid_request", description)


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


def _single_values(form: FormData) -> dict[str, str]:
    """The form as one text per name; RFC 6749 §3.2 refuses a repeated parameter."""
    names = [name for name, _ in form.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _invalid_request(f"Send each parameter once (repeated: {', '.join(repeated)}).")
    values = dict(form.items())
    if not all(isinstance(value, str) for value in values.values()):
        raise _invalid_request("Send the parameters as application/x-www-form-urlencoded text.")
    # §3.1: a parameter sent without a value is treated as omitted.
    return {name: value for name, value in values.items() if isinstance(value, str) and value}


def _grant_error(errors: list[Any]) -> TokenRefused:
    for err in errors:
        if tuple(err.get("loc", ())) == ("grant_type",) and err.get("type") == "literal_error":
            return TokenRefused(
                400, "unsupported_grant_type", "Only client_credentials is supported."
            )
    names = sorted({str(err.get("loc", ("request",))[0]) for err in errors})
    return _invalid_request(f"Missing or malformed parameter: {', '.join(names)}.")


async def token_request(request: Request) -> tuple[TokenRequest, tuple[str, str]]:
    """The parsed request and the client's (id, secret); :class:`TokenRefused` if malformed."""
    try:
        async with request.form(max_files=0, max_fields=20) as form:
            values = _single_values(form)
    except HTTPException as exc:  # Starlette's refusal of an unreadable multipart body
        raise _invalid_request("The form could not be read.") from exc
    try:
        parsed = TokenRequest.model_validate(values)
    except ValidationError as exc:
        raise _grant_error(list(exc.errors())) from exc
    basic = _basic_credentials(request)
    if basic is not None and (parsed.client_id or parsed.client_secret):
        raise _invalid_request("Authenticate with HTTP Basic or with client_id, not both.")
    return parsed, basic or (parsed.client_id or "", parsed.client_secret or "")


_FORM = "application/x-www-form-urlencoded"
_TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {_FORM: {"schema": TokenRequest.model_json_schema()}},
    }
}
_TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": OAuthError,
        "description": "RFC 6749 §5.2: `invalid_request` (a parameter missing, empty, repeated or "
        "malformed, or two ways of client authentication) or `unsupported_grant_type`.",
    },
    401: {
        "model": OAuthError,
        "description": "RFC 6749 §5.2 `invalid_client`: unknown client, wrong secret, or disabled.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    **problem_responses(
        429, descriptions={429: "Too many failed attempts from this address or for this client id."}
    ),
}


@router.post(
    "/oauth2/token",
    summary="Get an access token (client credentials)",
    operation_id="issueToken",
    response_model=TokenResponse,
    responses=_TOKEN_ERRORS,
    openapi_extra=_TOKEN_BODY,
)
async def issue_token(request: Request, runtime: RuntimeDep) -> Response:
    """OAuth2 client credentials (RFC 6749 §4.4); every refusal is an RFC 6749 error JSON."""
    try:
        _, credentials = await token_request(request)
    except TokenRefused as exc:
        return _oauth_error(exc.status, exc.error, exc.description)
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
    context_of(request).client_id = client.client_id
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
