"""Connectivity: the gateway answers, is ready, publishes its contract, and issues tokens."""

from __future__ import annotations

from contracts.suite._context import RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import check
from contracts.suite.diff import diff_openapi

C = Concern.CONNECTIVITY


@check(
    "connectivity.healthz",
    C,
    "Liveness endpoint answers",
    "GET /healthz answers 200 with status ok: the process serves requests.",
)
def healthz(ctx: RunContext) -> None:
    response = ctx.call("GET", "/healthz", template="/healthz")
    expect(response.status_code == 200, f"/healthz answered {response.status_code}")
    expect(response.json().get("status") == "ok", "/healthz body has no status ok")


@check(
    "connectivity.readyz",
    C,
    "Readiness: audit store, NGSP token, breaker, maintenance",
    "GET /readyz answers 200 ready: the audit store is reachable, an NGSP token can be "
    "obtained, the circuit is closed and maintenance is off.",
    produces=(Fact.READINESS,),
)
def readyz(ctx: RunContext) -> None:
    response = ctx.call("GET", "/readyz", template="/readyz")
    body = response.json()
    ctx.facts.readiness = str(body.get("status"))
    reasons = ", ".join(str(r) for r in body.get("reasons", [])) or "none given"
    expect(response.status_code == 200, f"/readyz answered {response.status_code}: {reasons}")


@check(
    "connectivity.openapi",
    C,
    "Published OpenAPI keeps the committed contract",
    "GET /openapi.json loses no path, operation, parameter, response field or accepted value "
    "of contracts/openapi/gateway-v1.json (what portals were built against).",
    produces=(Fact.GATEWAY_VERSION,),
)
def openapi(ctx: RunContext) -> None:
    response = ctx.call("GET", "/openapi.json")
    expect(response.status_code == 200, f"/openapi.json answered {response.status_code}")
    published = response.json()
    info = published.get("info", {})
    ctx.facts.gateway_version = f"{info.get('title', '?')} {info.get('version', '?')}"
    breaks = diff_openapi(ctx.contract.document, published)
    for item in breaks[:20]:
        ctx.note(str(item))
    expect(not breaks, f"{len(breaks)} breaking change(s) against the committed contract")


@check(
    "connectivity.token",
    C,
    "Client credentials give an access token",
    "POST /oauth2/token with the portal's id and secret answers a Bearer token "
    "(TokenResponse schema, positive expires_in, no-store caching).",
)
def token(ctx: RunContext) -> None:
    response = ctx.request_token(ctx.config.client)
    expect(response.status_code == 200, f"token request answered {response.status_code}")
    body = response.json()
    expect(body.get("token_type") == "Bearer", "token_type is not Bearer")
    expect(int(body.get("expires_in", 0)) > 0, "expires_in is not positive")
    expect("no-store" in response.headers.get("cache-control", ""), "token answer is cacheable")
