"""Operations: what operators rely on, the run's timings, and throttling.

The rate-limit check (a security check) lives here because it must run late: it exhausts one
identity's burst, so its phase puts it after every probe; only the audit checks and the run-wide
reviews (the latency check among them) come after it.
"""

from __future__ import annotations

from contracts.suite._context import CheckSkipped, RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import Phase, check
from contracts.suite.checks.data import LOOKS_UP
from contracts.suite.checks.security import LOOKUP, expect_problem, grants, lookup_path

OPS = Concern.OPERATIONS
_MAX_BURST = 300


@check(
    "operations.metrics",
    OPS,
    "Prometheus metrics are served",
    "GET /metrics answers 200 in the Prometheus text format.",
)
def metrics(ctx: RunContext) -> None:
    response = ctx.call("GET", "/metrics")
    expect(response.status_code == 200, f"/metrics answered {response.status_code}")
    expect("# TYPE" in response.text, "/metrics is not in the Prometheus text format")


@check(
    "operations.unknown-route",
    OPS,
    "Unknown routes are problems too",
    "GET on a path the API does not have answers 404 route_not_found as problem+json.",
)
def unknown_route(ctx: RunContext) -> None:
    expect_problem(ctx.call("GET", "/api/v1/no-such-route"), 404, "route_not_found")


@check(
    "operations.maintenance-switch",
    OPS,
    "Operators can drain the gateway and bring it back",
    "With --admin-token: PUT /admin/maintenance on makes data calls answer 503 maintenance with "
    "Retry-After and /readyz answer 503 naming maintenance while /healthz stays 200; switched "
    "off, look-ups answer 200 again. The switch is always turned off at the end.",
    needs=(Fact.CITIZEN,),
    required=False,
    produces=LOOKS_UP,
)
def maintenance_switch(ctx: RunContext) -> None:
    token = ctx.config.admin_token
    if token is None:
        raise CheckSkipped("no --admin-token: the maintenance switch was not exercised")
    admin = {"Authorization": f"Bearer {token}"}
    status = ctx.call("GET", "/admin/maintenance", headers=admin)
    expect(status.status_code == 200, f"GET /admin/maintenance answered {status.status_code}")
    expect(not status.json().get("enabled"), "maintenance was already on before the check")
    change = {"enabled": True, "reason": "contract suite check", "retry_after_s": 30}
    try:
        switched = ctx.call("PUT", "/admin/maintenance", headers=admin, json=change)
        expect(
            switched.status_code == 200, f"turning maintenance on answered {switched.status_code}"
        )
        ctx.note(f"maintenance on, scope: {switched.json().get('scope')}")
        drained = ctx.call(
            "GET",
            lookup_path(ctx),
            template=LOOKUP,
            identity="client",
            headers=ctx.as_identity("client"),
        )
        expect_problem(drained, 503, "maintenance")
        expect(
            drained.headers.get("Retry-After") == "30", "503 maintenance without Retry-After: 30"
        )
        ready = ctx.call("GET", "/readyz")
        expect(ready.status_code == 503, f"/readyz answered {ready.status_code} in maintenance")
        expect("maintenance" in ready.text, "/readyz does not name maintenance")
        alive = ctx.call("GET", "/healthz")
        expect(alive.status_code == 200, f"/healthz answered {alive.status_code} in maintenance")
    finally:
        restored = ctx.call("PUT", "/admin/maintenance", headers=admin, json={"enabled": False})
    expect(restored.status_code == 200, f"turning maintenance off answered {restored.status_code}")
    back = ctx.call(
        "GET",
        lookup_path(ctx),
        template=LOOKUP,
        identity="client",
        audited=True,
        headers=ctx.as_identity("client"),
    )
    expect(back.status_code == 200, f"after maintenance the look-up answered {back.status_code}")


@check(
    "operations.latency",
    OPS,
    "Successful data calls are fast enough",
    "Every successful data call of the run (fault scenarios aside) answered within the slow-call "
    "limit (--slow-call-ms, default 3000 ms).",
    needs=(Fact.AUDITED_CALLS,),
    phase=Phase.REVIEW,
)
def latency(ctx: RunContext) -> None:
    answered = [e for e in ctx.exchanges if e.audited and e.status == 200]
    expect(bool(answered), "no successful data call to time")
    slowest = max(answered, key=lambda e: e.elapsed_ms)
    ctx.note(f"{len(answered)} successful data calls; slowest: {slowest.describe()}")
    limit = ctx.config.slow_call_ms
    expect(
        slowest.elapsed_ms <= limit, f"slowest call took {slowest.elapsed_ms:.0f} ms > {limit:.0f}"
    )


@check(
    "security.rate-limit",
    Concern.SECURITY,
    "Over-rate clients get 429 with Retry-After",
    "Calling faster than the client's burst answers 429 rate_limited with Retry-After and "
    "RateLimit-* headers (run with the identity of smallest burst, up to 300 calls).",
    needs=(Fact.CITIZEN,),
    phase=Phase.EXHAUST,
)
def rate_limit(ctx: RunContext) -> None:
    identities = [i for i in ("basic", "client") if ctx.identity(i) is not None]
    identity = min(identities, key=lambda i: int(grants(ctx, i).get("burst", 0)))
    burst = int(grants(ctx, identity)["burst"])
    if burst > _MAX_BURST:
        raise CheckSkipped(f"the smallest burst is {burst} (> {_MAX_BURST} calls): not exhausted")
    # No purpose headers: the rate is taken before the purpose is checked, and nothing is looked up.
    headers = ctx.as_identity(identity, purpose=False)
    for _ in range(burst + 10):
        response = ctx.call(
            "GET", lookup_path(ctx), template=LOOKUP, identity=identity, headers=headers
        )
        if response.status_code == 429:
            expect_problem(response, 429, "rate_limited")
            expect("Retry-After" in response.headers, "429 without Retry-After")
            expect(
                any(h.lower().startswith("ratelimit") for h in response.headers),
                "429 without RateLimit-* headers",
            )
            retry_after = response.headers["Retry-After"]
            ctx.note(f"{identity} (burst {burst}) throttled, Retry-After {retry_after}")
            return
    expect(False, f"{burst + 10} calls within the burst window were never throttled")
