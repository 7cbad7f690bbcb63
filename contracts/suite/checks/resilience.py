"""Resilience: faults injected through the mock's ``/__admin/`` API, outcomes against its journal.

Fault injection needs the mock national side, so these checks are optional: without
``--mock-admin`` they are skipped and do not hold the verdict back. Each scenario picks its own
sampled citizen (taken from the run's pool, so no two scenarios share one, whatever their order),
adds one fault rule matching only that citizen, makes one look-up through the
gateway, reads how many attempts reached the national side (``/__admin/journal``), removes the
rule, and checks that a clean look-up succeeds again (which also resets the breaker's count of
consecutive failures for the next scenario). The attempts seen are kept so the audit checks can
compare them with the audit trail's ``upstream_attempts``.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from contracts.suite._context import CheckFailed, RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import check
from contracts.suite.checks.data import LOOKS_UP, data_call
from contracts.suite.checks.security import LOOKUP, expect_problem, lookup_path
from contracts.wire import Operation

R = Concern.RESILIENCE
LOOKUP_OPERATION = Operation.LOOKUP
TIMEOUT_CODES = ("upstream_timeout", "upstream_deadline_exceeded")
ON_MOCK = (Fact.MOCK, Fact.CITIZEN)
SCENARIO = (*ON_MOCK, Fact.POOL)  # a scenario faults a citizen of its own from the pool
LEAVES = (Fact.ATTEMPTS, *LOOKS_UP)  # the attempts seen, for audit.upstream-attempts


def _fresh_citizen(ctx: RunContext) -> str:
    number = ctx.facts.pool.take()
    if number is None:
        raise CheckFailed("the mock's sample ran out of citizens for fault scenarios")
    return number


def _admin(ctx: RunContext, method: str, path: str, **options: Any) -> httpx.Response:
    response = ctx.mock_admin().request(method, path, **options)
    expect(response.status_code < 400, f"mock admin {method} {path}: {response.status_code}")
    return response


def journal_count(ctx: RunContext, number: str, operation: str = LOOKUP_OPERATION) -> int:
    params = {"operation": operation, "limit": 0}
    if number:
        params["personal_id"] = number
    return int(_admin(ctx, "GET", "/__admin/journal", params=params).json()["count"])


def _with_fault(ctx: RunContext, name: str, rule: dict[str, Any]) -> tuple[httpx.Response, int]:
    """One look-up of a fresh citizen while ``rule`` applies to it: (answer, attempts seen)."""
    number = _fresh_citizen(ctx)
    rule_id = f"ct-{ctx.run_id}-{name}"
    before = journal_count(ctx, number)  # the journal may hold earlier runs' calls
    _admin(
        ctx,
        "POST",
        "/__admin/faults",
        json={
            "id": rule_id,
            "match": {"operation": LOOKUP_OPERATION, "personal_id": number},
            **rule,
        },
    )
    try:
        response = data_call(ctx, "client", "GET", f"/api/v1/citizens/{number}", LOOKUP)
    finally:
        _admin(ctx, "DELETE", f"/__admin/faults/{rule_id}")
        _admin(ctx, "POST", "/__admin/hangs/release")
    attempts = journal_count(ctx, number) - before
    ctx.facts.attempts[ctx.exchanges[-1].request_id] = attempts
    ctx.note(f"mock journal: {attempts} attempt(s) reached the national side")
    return response, attempts


def _recovers(ctx: RunContext) -> None:
    response = data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP)
    expect(
        response.status_code == 200, f"after the fault, a clean look-up got {response.status_code}"
    )


@check(
    "resilience.retry-then-succeed",
    R,
    "A transient 503 is retried",
    "NGSP answers 503 once, then normally: the portal gets 200 and the journal shows 2 attempts.",
    needs=SCENARIO,
    required=False,
    produces=LEAVES,
)
def retry_then_succeed(ctx: RunContext) -> None:
    response, attempts = _with_fault(
        ctx, "retry", {"sequence": [{"kind": "http_error", "status": 503}]}
    )
    expect(response.status_code == 200, f"expected 200 after a retry, got {response.status_code}")
    expect(attempts == 2, f"expected 2 attempts in the journal, saw {attempts}")
    _recovers(ctx)


@check(
    "resilience.persistent-failure",
    R,
    "A persistent 503 ends in 502, after bounded retries",
    "NGSP answers 503 every time: the portal gets 502 (layer ngsp) after more than one and at "
    "most a few attempts; the link then recovers.",
    needs=SCENARIO,
    required=False,
    produces=LEAVES,
)
def persistent_failure(ctx: RunContext) -> None:
    response, attempts = _with_fault(
        ctx, "outage", {"action": {"kind": "http_error", "status": 503}}
    )
    expect_problem(response, 502, "upstream_http_error", "upstream_retry_budget_exhausted")
    expect(response.json().get("layer") == "ngsp", "502 not attributed to layer ngsp")
    expect(1 <= attempts <= 10, f"{attempts} attempts: retries are not bounded")
    _recovers(ctx)


@check(
    "resilience.client-fault-not-retried",
    R,
    "A SOAP Client fault is not retried",
    "NGSP answers a SOAP Client fault (302 DATA_TYPE_INVALID): the portal gets 502 "
    "upstream_fault after exactly 1 attempt (retrying cannot fix a refused request).",
    needs=SCENARIO,
    required=False,
    produces=LEAVES,
)
def client_fault(ctx: RunContext) -> None:
    response, attempts = _with_fault(ctx, "fault", {"action": {"kind": "soap_fault", "code": 302}})
    expect_problem(response, 502, "upstream_fault")
    expect(attempts == 1, f"expected 1 attempt, saw {attempts}")
    _recovers(ctx)


@check(
    "resilience.malformed-answer",
    R,
    "A malformed answer is 502, not retried, not served",
    "NGSP answers HTTP 200 with broken XML: the portal gets 502 upstream_bad_response after "
    "exactly 1 attempt.",
    needs=SCENARIO,
    required=False,
    produces=LEAVES,
)
def malformed_answer(ctx: RunContext) -> None:
    response, attempts = _with_fault(ctx, "garbage", {"action": {"kind": "malformed_xml"}})
    expect_problem(response, 502, "upstream_bad_response")
    expect(attempts == 1, f"expected 1 attempt, saw {attempts}")
    _recovers(ctx)


@check(
    "resilience.timeout",
    R,
    "A hanging national side is 504 within the deadline",
    "NGSP never answers: the portal gets 504 upstream_timeout or upstream_deadline_exceeded "
    "(or 502 upstream_retry_budget_exhausted when the retry budget refused the retry), in less "
    "than the suite's own timeout.",
    needs=SCENARIO,
    required=False,
    produces=LEAVES,
)
def timeout(ctx: RunContext) -> None:
    response, _ = _with_fault(ctx, "hang", {"action": {"kind": "hang", "seconds": 120}})
    if response.status_code == 502:  # a timed-out attempt whose retry the budget refused
        expect_problem(response, 502, "upstream_retry_budget_exhausted")
        ctx.note("the retry budget refused a retry after a timed-out attempt (502, not 504)")
    else:
        expect_problem(response, 504, *TIMEOUT_CODES)
    _recovers(ctx)


@check(
    "resilience.token-refresh",
    R,
    "An expired NGSP token is replaced",
    "Every NGSP token expires (mock admin): the next look-up still answers 200 and the journal "
    "shows the gateway fetched a new token.",
    needs=ON_MOCK,
    required=False,
    produces=LOOKS_UP,
)
def token_refresh(ctx: RunContext) -> None:
    before = journal_count(ctx, "", "token")
    _admin(ctx, "POST", "/__admin/tokens/expire")
    response = data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP)
    expect(response.status_code == 200, f"look-up after token expiry got {response.status_code}")
    after = journal_count(ctx, "", "token")
    ctx.note(f"token requests in the journal: {before} before, {after} after")
    expect(after > before, "the gateway did not fetch a new NGSP token")


@check(
    "resilience.circuit-breaker",
    R,
    "An outage opens the circuit, then it closes",
    "NGSP fails every call: the gateway soon answers 503 upstream_circuit_open with Retry-After "
    "without calling NGSP; once NGSP is healthy again, look-ups succeed within Retry-After.",
    needs=ON_MOCK,
    required=False,
    produces=LOOKS_UP,
)
def circuit_breaker(ctx: RunContext) -> None:
    rule_id = f"ct-{ctx.run_id}-breaker"
    rule = {"id": rule_id, "match": {"operation": LOOKUP_OPERATION}}
    _admin(
        ctx,
        "POST",
        "/__admin/faults",
        json={**rule, "action": {"kind": "http_error", "status": 502}},
    )
    try:
        retry_after = _until_open(ctx)
    finally:
        _admin(ctx, "DELETE", f"/__admin/faults/{rule_id}")
    deadline = time.monotonic() + min(retry_after, 60) + 10
    while time.monotonic() < deadline:
        if data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP).status_code == 200:
            return
        time.sleep(0.5)
    raise CheckFailed("the circuit did not close after the outage ended")


def _until_open(ctx: RunContext) -> int:
    """Fail look-ups until the circuit opens; then one more must not reach NGSP at all."""
    for _ in range(12):
        response = data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP)
        if response.status_code == 503:
            break
        expect(response.status_code == 502, f"during the outage, got {response.status_code}")
    else:
        raise CheckFailed("12 failed look-ups in a row did not open the circuit")
    sent = journal_count(ctx, str(ctx.facts.citizen))
    response = data_call(ctx, "client", "GET", lookup_path(ctx), LOOKUP)
    expect_problem(response, 503, "upstream_circuit_open")
    expect("Retry-After" in response.headers, "503 without Retry-After")
    calls = journal_count(ctx, str(ctx.facts.citizen)) - sent
    expect(calls == 0, f"with the circuit open, {calls} call(s) still reached NGSP")
    ctx.note(f"circuit open: 503 with Retry-After {response.headers['Retry-After']}, no NGSP call")
    return int(response.headers["Retry-After"])
