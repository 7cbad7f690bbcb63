"""Security: only authenticated clients get in, only to what they were granted, with a purpose."""

from __future__ import annotations

from typing import Any

import httpx

from contracts.suite._context import RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import check

S = Concern.SECURITY
LOOKUP = "/api/v1/citizens/{number}"
WRONG_SECRET = "not-the-secret"  # noqa: S105 -- deliberately wrong, to be refused
DATA_OPERATIONS = {
    "lookup": ("GET", LOOKUP),
    "household": ("GET", "/api/v1/citizens/{number}/household"),
    "audit_read": ("GET", "/api/v1/audit/records"),
}


def expect_problem(response: httpx.Response, status: int, *codes: str) -> None:
    """The answer is ``status`` with one of the problem ``codes``."""
    code = _code(response)
    expect(
        response.status_code == status and code in codes,
        f"expected {status} {'/'.join(codes)}, got {response.status_code} {code}",
    )


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("code") or body.get("error")) if isinstance(body, dict) else None


def lookup_path(ctx: RunContext) -> str:
    return f"/api/v1/citizens/{ctx.facts.citizen}"


@check(
    "security.missing-token",
    S,
    "No token, no data",
    "A look-up without Authorization answers 401 missing_token with a Bearer challenge.",
    needs=(Fact.CITIZEN,),
)
def missing_token(ctx: RunContext) -> None:
    response = ctx.call("GET", lookup_path(ctx), template=LOOKUP, headers=ctx.purpose_headers())
    expect_problem(response, 401, "missing_token")
    expect("Bearer" in response.headers.get("WWW-Authenticate", ""), "no WWW-Authenticate: Bearer")


@check(
    "security.invalid-token",
    S,
    "Forged or garbled tokens are refused",
    "A look-up with a token the gateway did not sign answers 401 token_invalid.",
    needs=(Fact.CITIZEN,),
)
def invalid_token(ctx: RunContext) -> None:
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl"
    headers = {"Authorization": f"Bearer {forged}", **ctx.purpose_headers()}
    response = ctx.call("GET", lookup_path(ctx), template=LOOKUP, headers=headers)
    expect_problem(response, 401, "token_invalid")


@check(
    "security.bad-credentials",
    S,
    "Wrong client secret and other grants are refused",
    "POST /oauth2/token with a wrong secret answers 401 invalid_client; a grant other than "
    "client_credentials answers 400 unsupported_grant_type.",
)
def bad_credentials(ctx: RunContext) -> None:
    client_id = ctx.config.client.client_id
    wrong = ctx.request_token(ctx.config.client, secret=WRONG_SECRET)
    expect(wrong.status_code == 401, f"wrong secret answered {wrong.status_code}")
    expect(_code(wrong) == "invalid_client", f"wrong secret answered {_code(wrong)}")
    grant = ctx.call(
        "POST",
        "/oauth2/token",
        data={"grant_type": "password", "username": client_id, "password": "x"},
    )
    expect(grant.status_code == 400, f"password grant answered {grant.status_code}")
    expect(_code(grant) == "unsupported_grant_type", f"password grant answered {_code(grant)}")


@check(
    "security.malformed-token-request",
    S,
    "Malformed token requests get RFC 6749 errors",
    "POST /oauth2/token without grant_type, with an empty one, or with a parameter repeated "
    "answers 400 invalid_request as RFC 6749 §5.2 JSON (what OAuth2 libraries read), never a "
    "problem document.",
)
def malformed_token_request(ctx: RunContext) -> None:
    credentials = ctx.config.client
    for body in ("", "grant_type=", "grant_type=client_credentials&grant_type=client_credentials"):
        response = ctx.call(
            "POST",
            "/oauth2/token",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(credentials.client_id, credentials.secret),
        )
        label = f"the body {body!r}"
        expect(response.status_code == 400, f"{label} answered {response.status_code}")
        media = response.headers.get("content-type", "")
        expect(media.startswith("application/json"), f"{label} answered {media}, not RFC 6749")
        expect(_code(response) == "invalid_request", f"{label} answered {_code(response)}")


@check(
    "security.grants-enforced",
    S,
    "Operations not granted are refused",
    "Each identity calling an operation its GET /api/v1/me does not list (e.g. the portal "
    "reading the audit trail) answers 403 operation_not_granted.",
    needs=(Fact.CITIZEN,),
)
def grants_enforced(ctx: RunContext) -> None:
    tried = 0
    for identity in ("client", "basic"):
        if ctx.identity(identity) is None:
            continue
        granted = set(grants(ctx, identity).get("operations", []))
        for operation, (method, template) in DATA_OPERATIONS.items():
            if operation in granted:
                continue
            path = template.replace("{number}", str(ctx.facts.citizen))
            headers = ctx.as_identity(identity)
            response = ctx.call(method, path, template=template, identity=identity, headers=headers)
            expect_problem(response, 403, "operation_not_granted")
            ctx.note(f"{identity}: {operation} refused with 403 operation_not_granted")
            tried += 1
    expect(tried > 0, "every identity is granted every operation: nothing to refuse")


def grants(ctx: RunContext, identity: str) -> dict[str, Any]:
    """The identity's GET /api/v1/me (fetched on first use, then cached in the run's facts)."""
    if identity not in ctx.facts.grants:
        response = ctx.call(
            "GET",
            "/api/v1/me",
            template="/api/v1/me",
            identity=identity,
            headers=ctx.as_identity(identity, purpose=False),
        )
        expect(response.status_code == 200, f"/api/v1/me answered {response.status_code}")
        ctx.facts.grants[identity] = response.json()
    return ctx.facts.grants[identity]


@check(
    "security.purpose-required",
    S,
    "Every data call states its purpose",
    "A look-up without X-Purpose-Code answers 422 missing_purpose, a malformed one 422 "
    "invalid_purpose, one without X-Officer-Id 422 missing_officer.",
    needs=(Fact.CITIZEN,),
)
def purpose_required(ctx: RunContext) -> None:
    bearer = ctx.as_identity("client", purpose=False)
    cases = [
        ({"X-Officer-Id": ctx.config.officer_id}, "missing_purpose"),
        (
            {"X-Purpose-Code": "not-a-code", "X-Officer-Id": ctx.config.officer_id},
            "invalid_purpose",
        ),
        ({"X-Purpose-Code": ctx.config.purpose_code}, "missing_officer"),
    ]
    for extra, code in cases:
        response = ctx.call(
            "GET", lookup_path(ctx), template=LOOKUP, identity="client", headers={**bearer, **extra}
        )
        expect_problem(response, 422, code)
