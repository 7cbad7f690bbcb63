"""``POST {population_path}``: the SOAP endpoint, with fault injection and journalling.

Order of events for one request, as on the real link: read the body, let the fault rules decide
(latency first, then at most one terminal fault), check the bearer token (WSO2's 401), validate
the request (SOAP Fault), answer from the population, and journal what happened.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send

from mocks.faults import (
    Action,
    ExpireTokens,
    Hang,
    HttpError,
    Malformed,
    Reset,
    SoapFaultAction,
    Truncated,
)
from mocks.http import _effects as effects
from mocks.http._asgi import header, read_body, respond, respond_json
from mocks.soap import SoapFault, SoapRequest, parse_request, render_fault
from mocks.state import MockState

__all__ = ["handle_soap", "perform"]

_XML = b"text/xml; charset=utf-8"


@dataclass(slots=True)
class _Exchange:
    """What is known of one request as it goes through the endpoint."""

    operation: str
    number: str | None
    request: SoapRequest | None
    fault: SoapFault | None

    @classmethod
    def read(cls, body: bytes) -> _Exchange:
        try:
            request = parse_request(body)
        except SoapFault as fault:
            return cls(fault.operation or "unknown", fault.number, None, fault)
        return cls(request.operation, request.number, request, None)


async def perform(
    state: MockState, action: Action, receive: Receive, send: Send, body: bytes
) -> int:
    """Carry out a terminal fault action; returns the HTTP status sent (0: none)."""
    if isinstance(action, HttpError):
        return await effects.http_error(action, send)
    if isinstance(action, SoapFaultAction):
        return await effects.soap_fault(action, send)
    if isinstance(action, Malformed):
        return await effects.malformed(action, send, body)
    if isinstance(action, Truncated):
        return await effects.truncated(action, receive, send, body)
    if isinstance(action, Hang):
        state.held += 1
        try:
            return await effects.hang(
                action, receive, state.settings.max_hang_s, state.hangs_released
            )
        finally:
            state.held -= 1
    if isinstance(action, Reset):
        return await effects.reset(action, receive)
    raise TypeError(f"not a terminal action: {action.kind}")  # latency, pass, expire_tokens


async def handle_soap(state: MockState, scope: Scope, receive: Receive, send: Send) -> None:
    started = time.perf_counter()
    exchange = _Exchange.read(await read_body(receive))
    decision = state.faults.decide(exchange.operation, exchange.number)
    if decision.delay_s:
        await asyncio.sleep(decision.delay_s)
    action = decision.action
    status, outcome = 0, ""
    try:
        if action is not None and not isinstance(action, ExpireTokens):
            outcome = f"injected:{action.kind}"
            status = await perform(state, action, receive, send, _answer(state, exchange)[0])
        else:
            if isinstance(action, ExpireTokens):
                state.tokens.expire_all()
                outcome = "injected:expire_tokens:"
            more, status = await _respond(state, scope, exchange, send)
            outcome += more
    finally:
        state.journal.record(
            operation=exchange.operation,
            number=exchange.number,
            request_id=None if exchange.request is None else exchange.request.request_id,
            status=status,
            outcome=outcome or "dropped",
            rule=decision.rules,
            duration_ms=(time.perf_counter() - started) * 1e3,
        )


def _answer(state: MockState, exchange: _Exchange) -> tuple[bytes, str]:
    if exchange.request is not None:
        return state.service.answer(exchange.request)
    assert exchange.fault is not None  # noqa: S101 - an exchange has a request or a fault
    return render_fault(exchange.fault), f"fault:{exchange.fault.code}"


async def _respond(
    state: MockState, scope: Scope, exchange: _Exchange, send: Send
) -> tuple[str, int]:
    denied = state.tokens.check(header(scope, b"authorization"))
    if denied is not None:
        fault = {"code": 900901, "message": "Invalid Credentials", "description": denied}
        extra = [(b"www-authenticate", b'OAuth2 realm="WSO2 API Manager", error="invalid_token"')]
        await respond_json(send, 401, {"fault": fault}, extra)
        return "unauthorized", 401
    body, outcome = _answer(state, exchange)
    status = 500 if exchange.fault is not None else 200
    await respond(send, status, body, _XML)
    return outcome, status
