"""NGSP access tokens (WSO2 API Manager, OAuth2 client-credentials grant).

One :class:`TokenManager` per adapter holds the current bearer token and treats it as stale
``refresh_margin_s`` before it expires, so no call goes out with a token about to lapse. Callers
that find it stale share a single token request (single flight): the request runs as its own task
and every caller awaits it shielded, so a caller whose own deadline expires does not cancel the
refresh for the others. A token that NGSP rejects with 401 is invalidated so the next caller
refreshes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from opentelemetry import trace

from adapters.ngsp._errors import (
    UpstreamAuthError,
    UpstreamConnectError,
    UpstreamHTTPError,
    UpstreamProtocolError,
    UpstreamTimeout,
)
from adapters.ngsp.clock import Clock, SystemClock
from adapters.ngsp.observer import NgspObserver, NullObserver

__all__ = ["Token", "TokenManager"]

_tracer = trace.get_tracer("lgsp.adapters.ngsp")

_TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float  # on the manager's clock


class TokenManager:
    """Caches the NGSP token; ``refresh_margin_s`` before expiry it is treated as stale."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        refresh_margin_s: float = 60.0,
        timeout_s: float = 5.0,
        clock: Clock | None = None,
        observer: NgspObserver | None = None,
    ) -> None:
        self._http = http
        self._url = token_url
        self._auth = httpx.BasicAuth(consumer_key, consumer_secret)
        self._margin = refresh_margin_s
        self._timeout = timeout_s
        self._clock = clock or SystemClock()
        self._observer = observer or NullObserver()
        self._token: Token | None = None
        self._refreshing: asyncio.Task[Token] | None = None
        self.refresh_count = 0

    @property
    def current(self) -> Token | None:
        return self._token

    async def get(self) -> str:
        """A valid token: the cached one, or the one a single shared request fetches."""
        token = self._token
        if token is not None and self._clock.now() < token.expires_at - self._margin:
            return token.value
        if self._refreshing is None:
            self._refreshing = asyncio.create_task(self._refresh())
            self._refreshing.add_done_callback(_consume_exception)
        return (await asyncio.shield(self._refreshing)).value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` after NGSP rejected it (unless another caller already replaced it)."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _refresh(self) -> Token:
        try:
            with _tracer.start_as_current_span("ngsp.token", kind=trace.SpanKind.CLIENT):
                self._token = await self._fetch()
        finally:
            self._refreshing = None
        self.refresh_count += 1
        self._observer.on_token_refresh()
        return self._token

    async def _fetch(self) -> Token:
        started = self._clock.now()
        response = await self._post()
        if response.status_code in _TRANSIENT_STATUSES:
            raise UpstreamHTTPError(response.status_code)
        if response.status_code != 200:
            raise UpstreamAuthError(f"NGSP token endpoint answered HTTP {response.status_code}")
        return _read_token(response, started)

    async def _post(self) -> httpx.Response:
        try:
            return await self._http.post(
                self._url,
                data={"grant_type": "client_credentials"},
                auth=self._auth,
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("NGSP token request timed out") from exc
        except httpx.TransportError as exc:
            raise UpstreamConnectError(f"NGSP token request failed: {type(exc).__name__}") from exc


def _consume_exception(task: asyncio.Task[Token]) -> None:
    # Every waiter may have given up (their deadlines are shorter): mark the failure retrieved so
    # asyncio does not log it as lost. The next caller simply starts a new refresh.
    if not task.cancelled():
        task.exception()


def _read_token(response: httpx.Response, started: float) -> Token:
    try:
        body = response.json()
        value = str(body["access_token"])
        lifetime = float(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UpstreamProtocolError("NGSP token answer is not the expected JSON") from exc
    if not value or str(body.get("token_type", "Bearer")).lower() != "bearer":
        raise UpstreamProtocolError("NGSP token answer has no bearer token")
    return Token(value=value, expires_at=started + lifetime)
