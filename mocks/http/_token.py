"""``POST /token``: the NGSP client-credentials grant."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from mocks.faults import ExpireTokens
from mocks.http._asgi import header, read_body, respond_json
from mocks.http._soap import perform
from mocks.state import MockState
from mocks.tokens import TokenError

__all__ = ["handle_token"]

TOKEN_OPERATION = "token"  # noqa: S105 -- the journal's name for the endpoint, not a secret


async def handle_token(state: MockState, scope: Scope, receive: Receive, send: Send) -> None:
    started = time.perf_counter()
    body = await read_body(receive)
    decision = state.faults.decide(TOKEN_OPERATION, None)
    status, outcome = 0, "ok"
    if decision.delay_s:
        await asyncio.sleep(decision.delay_s)
    if decision.action is not None and not isinstance(decision.action, ExpireTokens):
        status = await perform(state, decision.action, receive, send, b"{}")
        outcome = f"injected:{decision.action.kind}"
    else:
        if isinstance(decision.action, ExpireTokens):
            state.tokens.expire_all()
        status, outcome = await _grant(state, scope, body, send)
    state.journal.record(
        operation=TOKEN_OPERATION,
        number=None,
        request_id=None,
        status=status,
        outcome=outcome,
        rule=decision.rules,
        duration_ms=(time.perf_counter() - started) * 1e3,
    )


async def _grant(state: MockState, scope: Scope, body: bytes, send: Send) -> tuple[int, str]:
    form = parse_qs(body.decode("latin-1"))
    grants = form.get("grant_type") or []
    grant_type = grants[0] if grants else None
    try:
        token, lifetime = state.tokens.issue(header(scope, b"authorization"), grant_type)
    except TokenError as exc:
        error = {"error": exc.error, "error_description": exc.description}
        await respond_json(send, exc.status, error)
        return exc.status, exc.error
    payload: dict[str, object] = {
        "access_token": token,
        "scope": "am_application_scope default",
        "token_type": "Bearer",
        "expires_in": lifetime,
    }
    await respond_json(send, 200, payload, [(b"cache-control", b"no-store")])
    return 200, "ok"
