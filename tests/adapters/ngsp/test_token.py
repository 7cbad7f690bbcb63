"""NGSP tokens: reused while fresh, refreshed early, fetched once for many, replaced after 401."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.ngsp import (
    TokenManager,
    UpstreamAuthError,
    UpstreamHTTPError,
    UpstreamProtocolError,
)

from .conftest import TOKEN_URL


async def test_token_is_reused_while_fresh(upstream, client, ctx, clock, observer):
    """One token request serves every call until the token nears its expiry."""
    token = upstream.token(expires_in=3600)
    upstream.answer("lookup-not-found.xml", is_reusable=True)

    for _ in range(3):
        await client.lookup_citizen("054092000123", ctx)
        clock.advance(1000)  # 3000 s in all: still more than the 60 s margin before expiry

    assert len(upstream.token_requests()) == 1
    assert {r.headers["Authorization"] for r in upstream.soap_requests()} == {f"Bearer {token}"}
    assert observer.token_refreshes == 1


async def test_token_is_refreshed_before_it_expires(upstream, client, ctx, clock):
    """Inside the refresh margin (60 s) the next call fetches a new token instead of risking 401."""
    upstream.token(expires_in=3600)
    second = upstream.token(expires_in=3600)
    upstream.answer("lookup-not-found.xml", is_reusable=True)

    await client.lookup_citizen("054092000123", ctx)
    clock.advance(3600 - 60)  # the token is still valid for 60 s: refresh now
    await client.lookup_citizen("054092000123", ctx)

    assert len(upstream.token_requests()) == 2
    assert upstream.soap_requests()[-1].headers["Authorization"] == f"Bearer {second}"


async def test_hundred_concurrent_calls_share_one_token_request(upstream, client, make_ctx, clock):
    """Single flight: 100 calls finding the token expired cause exactly one token request."""
    upstream.token(expires_in=3600)
    fresh = upstream.token(expires_in=3600)
    upstream.answer("lookup-not-found.xml", is_reusable=True)
    await client.lookup_citizen("054092000123", make_ctx())
    clock.advance(7200)  # long expired

    await asyncio.gather(
        *(client.lookup_citizen("054092000123", make_ctx(f"req-{i}")) for i in range(100))
    )

    assert len(upstream.token_requests()) == 2  # the first one, and one for all hundred
    assert len(upstream.soap_requests()) == 101
    assert upstream.soap_requests()[-1].headers["Authorization"] == f"Bearer {fresh}"


async def test_401_invalidates_refreshes_and_replays_once(upstream, client, ctx, observer):
    """A revoked token gets one refresh and one replay of the same request."""
    upstream.token()
    fresh = upstream.token()
    upstream.status(401, json={"fault": {"code": 900901, "message": "Invalid Credentials"}})
    upstream.answer("lookup-found-live.xml")

    citizen = await client.lookup_citizen("054092000123", ctx)

    assert citizen is not None
    assert len(upstream.token_requests()) == 2
    first, replay = upstream.soap_requests()
    assert replay.headers["Authorization"] == f"Bearer {fresh}"
    assert replay.content == first.content
    assert ctx.attempts == 2  # both went out: the journal sees two requests
    assert observer.attempts == [("TraCuuThongTinCongDan", 1, "ok", None)]


async def test_second_401_after_a_fresh_token_is_an_auth_error(upstream, client, ctx):
    """No loop: a fresh token refused again is a credentials problem, reported, not retried."""
    upstream.token()
    upstream.token()
    upstream.status(401, is_reusable=True)

    with pytest.raises(UpstreamAuthError):
        await client.lookup_citizen("054092000123", ctx)

    assert len(upstream.soap_requests()) == 2
    assert len(upstream.token_requests()) == 2


async def test_refused_consumer_credentials_are_an_auth_error(upstream, client, ctx):
    upstream.mock.add_response(
        method="POST", url=TOKEN_URL, status_code=401, json={"error": "invalid_client"}
    )

    with pytest.raises(UpstreamAuthError):
        await client.lookup_citizen("054092000123", ctx)

    assert upstream.soap_requests() == []


async def test_token_endpoint_outage_is_transient_and_retried(upstream, client, ctx):
    """A 503 from the token endpoint fails the attempt; the retry fetches the token again."""
    upstream.mock.add_response(method="POST", url=TOKEN_URL, status_code=503)
    upstream.token()
    upstream.answer("lookup-not-found.xml")

    assert await client.lookup_citizen("054092000123", ctx) is None
    assert len(upstream.token_requests()) == 2


async def test_waiter_giving_up_does_not_cancel_the_shared_refresh(upstream, http, clock):
    """A caller cancelled mid-refresh leaves the refresh running for everyone else."""
    release = asyncio.Event()

    async def slow_token(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"access_token": "t-1", "expires_in": 3600})

    upstream.mock.add_callback(slow_token, method="POST", url=TOKEN_URL)
    tokens = TokenManager(http, TOKEN_URL, "k", "s", clock=clock)
    impatient = asyncio.create_task(tokens.get())
    patient = asyncio.create_task(tokens.get())
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()

    assert await patient == "t-1"
    assert impatient.cancelled()
    assert len(upstream.token_requests()) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"token_type": "Bearer"}, id="no-access-token"),
        pytest.param({"access_token": "x", "token_type": "MAC"}, id="not-bearer"),
        pytest.param(["access_token"], id="not-an-object"),
    ],
)
async def test_unusable_token_answers_are_protocol_errors(upstream, http, clock, body):
    upstream.mock.add_response(method="POST", url=TOKEN_URL, json=body)
    tokens = TokenManager(http, TOKEN_URL, "k", "s", clock=clock)

    with pytest.raises(UpstreamProtocolError):
        await tokens.get()


async def test_token_endpoint_503_surfaces_as_transient(upstream, http, clock):
    upstream.mock.add_response(method="POST", url=TOKEN_URL, status_code=503)
    tokens = TokenManager(http, TOKEN_URL, "k", "s", clock=clock)

    with pytest.raises(UpstreamHTTPError) as caught:
        await tokens.get()

    assert caught.value.retryable
