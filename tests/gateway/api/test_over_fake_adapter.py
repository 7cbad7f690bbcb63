"""The HTTP layer over the adapter faked at its interface (design §8): errors, audit, context.

Every adapter failure a look-up, a verify or a household call can meet is raised by
``FakeNgsp`` and must reach the portal as the README's problem code and status, audited first;
the ``CallContext`` the adapter receives must carry what the request said.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import httpx
import pytest

from adapters import ngsp
from adapters.ngsp import CallContext, NgspClient, NgspError
from adapters.ngsp.testing import FakeCall, FakeNgsp
from gateway.audit import AuditQuery, AuditRecord
from gateway.population import NationalPopulation
from tests.conftest import PURPOSE_HEADERS, Faked
from tests.gateway.api.records import CITIZEN, HOUSEHOLD, NUMBER

# What each operation's request is, as (method, path, JSON body or None).
OPERATIONS = {
    "lookup": ("GET", f"/api/v1/citizens/{NUMBER}", None),
    "verify": (
        "POST",
        "/api/v1/citizens/verify",
        {"number": NUMBER, "full_name": CITIZEN.full_name},
    ),
    "household": ("GET", f"/api/v1/citizens/{NUMBER}/household", None),
}

# The README's error table, for each kind of adapter failure: (status, code, layer).
FAILURES = [
    pytest.param(
        ngsp.UpstreamConnectError("reset"), (502, "upstream_connect_error", "ngsp"), id="connect"
    ),
    pytest.param(ngsp.UpstreamTimeout("slow"), (504, "upstream_timeout", "ngsp"), id="timeout"),
    pytest.param(ngsp.UpstreamHTTPError(503), (502, "upstream_http_error", "ngsp"), id="http-503"),
    pytest.param(ngsp.UpstreamHTTPError(504), (504, "upstream_http_error", "ngsp"), id="http-504"),
    pytest.param(
        ngsp.DeadlineExceeded("late"), (504, "upstream_deadline_exceeded", "ngsp"), id="deadline"
    ),
    pytest.param(ngsp.CircuitOpen(7.0), (503, "upstream_circuit_open", "ngsp"), id="breaker-open"),
    pytest.param(
        ngsp.RetryBudgetExhausted("spent"),
        (502, "upstream_retry_budget_exhausted", "ngsp"),
        id="budget",
    ),
    pytest.param(ngsp.UpstreamRejected(400), (502, "upstream_rejected", "ngsp"), id="rejected"),
    pytest.param(
        ngsp.UpstreamAuthError("refused"), (502, "upstream_auth_error", "ngsp"), id="auth"
    ),
    pytest.param(
        ngsp.UpstreamProtocolError("not XML"),
        (502, "upstream_bad_response", "population-db"),
        id="xml",
    ),
    pytest.param(
        ngsp.UpstreamRecordError("two records"),
        (502, "upstream_bad_response", "population-db"),
        id="record",
    ),
    pytest.param(
        ngsp.UpstreamFault("Server", "E500", "down"),
        (502, "upstream_fault", "population-db"),
        id="fault",
    ),
    pytest.param(
        ngsp.UpstreamFault("Client", "E400", "bad"),
        (502, "upstream_fault", "population-db"),
        id="client",
    ),
]


def test_the_protocol_is_the_clients_calls_exactly() -> None:
    """mypy checks that the client and the fake (this assignment, ``create_app(ngsp=...)``) fit
    the protocol; here the client's signatures must equal it, so a keyword the client gains is
    added to the protocol too, not left out of reach of the gateway and the fake."""
    fake: NationalPopulation = FakeNgsp()
    assert fake.breaker.state == "closed"
    for name in ("lookup_citizen", "verify_citizen", "household"):
        wanted = inspect.signature(getattr(NationalPopulation, name))
        assert inspect.signature(getattr(NgspClient, name)) == wanted, name


async def call(faked: Faked, operation: str, **headers: str) -> Any:
    method, path, body = OPERATIONS[operation]
    sent = await faked.headers(**headers)
    return await faked.gateway.request(method, path, json=body, headers=sent)


async def audit_records(faked: Faked, request_id: str) -> list[AuditRecord]:
    reader = faked.app.state.runtime.audit_reader
    return [r async for r in reader.iter_records(AuditQuery(request_id=request_id))]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("error", "expected"), FAILURES)
async def test_every_adapter_failure_is_the_documented_problem_audited(
    faked: Faked, operation: str, error: NgspError, expected: tuple[int, str, str]
) -> None:
    status, code, _layer = expected
    faked.ngsp.add(CITIZEN, HOUSEHOLD)
    faked.ngsp.fail(error)
    response = await call(faked, operation, **{"X-Request-ID": "fail-1"})
    problem = response.json()
    assert (response.status_code, problem["code"], problem["layer"]) == expected
    assert response.headers["content-type"] == "application/problem+json"
    if isinstance(error, ngsp.CircuitOpen):
        assert response.headers["Retry-After"] == "7"
    (record,) = await audit_records(faked, "fail-1")
    assert (record.outcome, record.status, record.problem_code) == ("error", status, code)
    assert record.fields_returned == ()


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("lookup", "citizen_not_found"),
        ("verify", "citizen_not_found"),
        ("household", "household_not_found"),
    ],
)
async def test_no_such_record_is_404_audited_as_not_found(
    faked: Faked, operation: str, code: str
) -> None:
    response = await call(faked, operation, **{"X-Request-ID": "absent-1"})
    problem = response.json()
    assert (response.status_code, problem["code"], problem["layer"]) == (404, code, "population-db")
    (record,) = await audit_records(faked, "absent-1")
    assert (record.outcome, record.problem_code) == ("not_found", code)


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_the_audit_record_is_committed_before_the_answer(
    faked: Faked, operation: str
) -> None:
    """While the national side answers, nothing is recorded; when the answer's first byte leaves
    the app (``http.response.start``, seen by an ASGI layer outside it), the record is there.

    Reading the trail after the client returns would not do: the ASGI transport waits for the
    app to finish, background work after the answer included.
    """
    faked.ngsp.add(CITIZEN, HOUSEHOLD)
    during: list[list[AuditRecord]] = []
    at_answer: list[list[AuditRecord]] = []

    async def look_at_the_trail(_call: FakeCall) -> None:
        during.append(await audit_records(faked, "in-order-1"))

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def send_watched(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["path"].startswith("/api/"):
                at_answer.append(await audit_records(faked, "in-order-1"))
            await send(message)

        await faked.app(scope, receive, send_watched)

    faked.ngsp.on_call = look_at_the_trail
    transport = httpx.ASGITransport(app=watching)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        watched = dataclasses.replace(faked, gateway=client)
        response = await call(watched, operation, **{"X-Request-ID": "in-order-1"})
    assert response.status_code == 200, response.text
    assert during == [[]]
    [[record]] = at_answer
    assert record.operation == operation
    assert record.outcome in {"success", "mismatch"}


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_the_adapter_gets_the_requests_id_purpose_and_trace(
    faked: Faked, operation: str
) -> None:
    faked.ngsp.add(CITIZEN, HOUSEHOLD)
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    response = await call(
        faked,
        operation,
        **{
            "X-Request-ID": "ctx-1",
            "X-Case-Id": "HS-2021-0001",
            "traceparent": f"00-{trace_id}-{parent}-01",
        },
    )
    assert response.status_code == 200, response.text
    (sent,) = faked.ngsp.calls
    ctx: CallContext = sent.ctx
    assert (sent.operation, sent.number) == (
        "lookup" if operation == "verify" else operation,
        NUMBER,
    )
    assert (ctx.request_id, ctx.purpose_code, ctx.officer_id) == (
        "ctx-1",
        PURPOSE_HEADERS["X-Purpose-Code"],
        PURPOSE_HEADERS["X-Officer-Id"],
    )
    assert ctx.agency_code == "000.00.00.H45"  # the demo portal's agency
    assert ctx.traceparent is not None
    version, sent_trace, span, _flags = ctx.traceparent.split("-")
    assert (version, sent_trace) == ("00", trace_id)
    assert span != parent  # the NGSP call is a child of the caller's span, not the same span
    assert ctx.attempts == 1
