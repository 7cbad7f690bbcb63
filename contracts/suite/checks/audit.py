"""Audit: every personal-data call the suite made is in the trail, as an auditor sees it over HTTP.

Their phase puts them after every check that makes data calls, so the trail holds the whole run;
each declares the calls it needs to look up (``audited-calls``, ``citizen-lookups``, ...), so when
selected alone a producer of them runs first. Records are found by the request ids the suite sent
(``X-Request-ID``), searched from the run's start through ``GET /api/v1/audit/records`` with the
``--auditor`` identity.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from contracts.suite._context import RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern, Exchange
from contracts.suite._registry import Phase, check
from contracts.suite.checks.data import SENSITIVE_FIELDS
from contracts.suite.checks.security import grants

A = Concern.AUDIT
RECORDS = "/api/v1/audit/records"
SUBJECTS = "/api/v1/audit/subjects/{number}"
SUBJECT_VIEW = "audit.subject_view"  # the operation the gateway records a view as
_MAX_PAGES = 20


def trail(ctx: RunContext) -> dict[str, dict[str, Any]]:
    """The run's audit records by request id (fetched once, paginated)."""
    if ctx.facts.trail is not None:
        return ctx.facts.trail
    since = (ctx.facts.started_at - timedelta(seconds=5)).isoformat()
    records: dict[str, dict[str, Any]] = {}
    cursor: int | None = None
    for _ in range(_MAX_PAGES):
        params: dict[str, Any] = {"since": since, "limit": 1000}
        if cursor is not None:
            params["cursor"] = cursor
        response = ctx.call(
            "GET",
            RECORDS,
            template=RECORDS,
            identity="auditor",
            headers=ctx.as_identity("auditor", purpose=False),
            params=params,
        )
        expect(response.status_code == 200, f"the auditor's search answered {response.status_code}")
        page = response.json()
        records.update({str(r.get("request_id")): r for r in page.get("records", [])})
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    ctx.facts.trail = records
    return records


@check(
    "audit.every-call-recorded",
    A,
    "Every personal-data call is in the audit trail",
    "Each data call the suite made that passed authentication and purpose checks (success, "
    "404, 422, 5xx alike) has an audit record with its request id, readable by the auditor.",
    needs=(Fact.AUDITOR, Fact.AUDITED_CALLS),
    phase=Phase.AUDIT,
)
def every_call_recorded(ctx: RunContext) -> None:
    records = trail(ctx)
    audited = ctx.audited_calls()
    missing = [e for e in audited if e.request_id not in records]
    for exchange in missing[:20]:
        ctx.note(f"not in the trail: {exchange.describe()}")
    ctx.note(f"{len(audited) - len(missing)} of {len(audited)} calls found in the trail")
    expect(not missing, f"{len(missing)} of {len(audited)} personal-data calls are not audited")


@check(
    "audit.record-content",
    A,
    "Audit records say who, why, on whom (masked) and what left",
    "Each record names the calling client, the purpose code and officer sent, the status "
    "answered; holds no citizen number in clear; and lists no sensitive field for a client "
    "without the sensitive field set.",
    needs=(Fact.AUDITOR, Fact.AUDITED_CALLS),
    phase=Phase.AUDIT,
)
def record_content(ctx: RunContext) -> None:
    records = trail(ctx)
    problems: list[str] = []
    for exchange in ctx.audited_calls():
        record = records.get(exchange.request_id)
        if record is not None:
            problems += [
                f"{exchange.request_id}: {p}" for p in _record_problems(ctx, exchange, record)
            ]
    for problem in problems[:20]:
        ctx.note(problem)
    expect(not problems, f"{len(problems)} defect(s) in audit records")


def _record_problems(ctx: RunContext, exchange: Exchange, record: dict[str, Any]) -> list[str]:
    identity = ctx.identity(exchange.client)
    expected = {
        "client_id": identity.client_id if identity else None,
        "purpose_code": ctx.config.purpose_code,
        "officer_id": ctx.config.officer_id,
        "status": exchange.status,
    }
    problems = [
        f"{key} is {record.get(key)!r}, expected {value!r}"
        for key, value in expected.items()
        if record.get(key) != value
    ]
    text = json.dumps(record, ensure_ascii=False)
    if any(number in text for number in _numbers_used(ctx)):
        problems.append("a citizen number is stored in clear")
    masked = record.get("subject_masked")
    if masked is not None and "*" not in str(masked):
        problems.append("subject_masked is not masked")
    field_set = grants(ctx, exchange.client).get("field_set")
    if field_set != "sensitive" and set(record.get("fields_returned") or ()) & SENSITIVE_FIELDS:
        problems.append("sensitive fields disclosed to a client without the sensitive field set")
    return problems


def _numbers_used(ctx: RunContext) -> set[str]:
    """Every citizen number the run asked about (never written out, only searched for)."""
    facts = ctx.facts
    numbers = {facts.citizen, facts.absent, facts.cmnd, facts.cmnd_holder, *facts.pool.everyone}
    return {number for number in numbers if number}


@check(
    "audit.upstream-attempts",
    A,
    "The trail's upstream attempts match the national side's journal",
    "For each fault scenario, the record's upstream_attempts equals the number of attempts the "
    "mock's journal saw for that look-up.",
    needs=(Fact.AUDITOR, Fact.MOCK, Fact.ATTEMPTS),
    required=False,
    phase=Phase.AUDIT,
)
def upstream_attempts(ctx: RunContext) -> None:
    records = trail(ctx)
    for request_id, journal in ctx.facts.attempts.items():
        recorded = records.get(request_id, {}).get("upstream_attempts")
        ctx.note(f"{request_id}: audit {recorded}, journal {journal}")
        expect(recorded == journal, f"{request_id}: audit says {recorded}, journal saw {journal}")


@check(
    "audit.subject-view",
    A,
    "Who looked this citizen up (Data Tracker view)",
    "GET /api/v1/audit/subjects/{number} lists the suite's own look-ups of the target citizen.",
    needs=(Fact.AUDITOR, Fact.CITIZEN, Fact.CITIZEN_LOOKUPS),
    phase=Phase.AUDIT,
)
def subject_view(ctx: RunContext) -> None:
    number = str(ctx.facts.citizen)
    own = ctx.audited_calls(f"/api/v1/citizens/{number}")
    missing = [e for e in own if e.request_id not in _listed(ctx, number)]
    expect(not missing, f"{len(missing)} of {len(own)} look-ups of the citizen are not listed")


@check(
    "audit.subject-view-cmnd",
    A,
    "A look-up by CMND is found by either of the person's numbers",
    "The suite's look-ups by 9-digit CMND are listed by GET /api/v1/audit/subjects/{number} "
    "under that CMND and under the 12-digit personal id of the citizen holding it, as the subject "
    "asked about: a citizen's view must not depend on which number a portal happened to send.",
    needs=(Fact.AUDITOR, Fact.CMND, Fact.CMND_LOOKUPS),
    required=False,
    phase=Phase.AUDIT,
)
def subject_view_cmnd(ctx: RunContext) -> None:
    cmnd, holder = str(ctx.facts.cmnd), ctx.facts.cmnd_holder
    own = ctx.audited_calls(f"/api/v1/citizens/{cmnd}")
    expect(bool(holder), "the CMND's holder has no personal id to ask under")
    for label, number in (("the CMND", cmnd), ("the personal id", str(holder))):
        listed = _listed(ctx, number)
        missing = [e for e in own if e.request_id not in listed]
        ctx.note(f"under {label}: {len(own) - len(missing)} of {len(own)} CMND look-ups listed")
        expect(not missing, f"{len(missing)} of {len(own)} CMND look-ups are not under {label}")
        roles = {str(listed[e.request_id]) for e in own}
        expect(roles <= {"subject", "None"}, f"under {label} the CMND look-up has roles {roles}")


@check(
    "audit.subject-view-audited",
    A,
    "Viewing a citizen's history is itself audited",
    "After the auditor views GET /api/v1/audit/subjects/{number}, a second view of that "
    "number lists a record of operation audit.subject_view with the first view's request "
    "id: reading someone's history is processing of their data, so a gateway answering the "
    "view without recording it fails.",
    phase=Phase.AUDIT,  # with the other auditor calls, before the reviews judge every answer
    needs=(Fact.AUDITOR, Fact.CITIZEN),
)
def subject_view_audited(ctx: RunContext) -> None:
    number = str(ctx.facts.citizen)
    viewed, _ = _view(ctx, number)
    _, records = _view(ctx, number)
    record = next((r for r in records if str(r.get("request_id")) == viewed), None)
    expect(record is not None, f"the view {viewed} is not in the citizen's trail: not audited")
    operation = record.get("operation") if record is not None else None
    ctx.note(f"{viewed}: recorded as {operation}")
    expect(operation == SUBJECT_VIEW, f"the view {viewed} is recorded as {operation!r}")


def _listed(ctx: RunContext, number: str) -> dict[str, str | None]:
    """The request ids the subject view lists for ``number``, with the role each record gives."""
    _, records = _view(ctx, number)
    return {str(r.get("request_id")): (r.get("disclosed") or {}).get("role") for r in records}


def _view(ctx: RunContext, number: str) -> tuple[str, list[dict[str, Any]]]:
    """One auditor's view of ``number``: its request id and the records it lists."""
    response = ctx.call(
        "GET",
        f"/api/v1/audit/subjects/{number}",
        template=SUBJECTS,
        identity="auditor",
        headers=ctx.as_identity("auditor", purpose=False),
        params={"limit": 1000},
    )
    expect(response.status_code == 200, f"subject view answered {response.status_code}")
    records: list[dict[str, Any]] = response.json().get("records", [])
    return ctx.exchanges[-1].request_id, records
