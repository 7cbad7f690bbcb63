"""The mock national side as one ASGI app: NGSP token, population SOAP service, admin API.

The two endpoints a benchmark hits (``POST /token`` and ``POST {population_path}``) are served by
raw ASGI handlers in front of Starlette, so the mock spends its time on the population and the
XML, not on framework layers; everything else (``/__admin/...``, lifespan) goes to Starlette.
It runs the same under uvicorn and in process through ``httpx.ASGITransport`` (see
:mod:`mocks.http._effects` for how network faults behave in each).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from mocks.http import admin_routes, handle_soap, handle_token
from mocks.settings import MockSettings
from mocks.state import MockState

__all__ = ["MockApp", "create_mock_app"]


class MockApp:
    """ASGI entry point; ``state`` is exposed for tests and the launcher."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self._path = state.settings.population_path
        self._admin = Starlette(routes=admin_routes(state))
        self.router = self._admin.router  # so ``app.router.lifespan_context(app)`` works as usual

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            if path == self._path:
                return await handle_soap(self.state, scope, receive, send)
            if path == "/token":
                return await handle_token(self.state, scope, receive, send)
        return await self._admin(scope, receive, send)


def create_mock_app(
    settings: MockSettings | None = None, *, clock: Callable[[], float] = time.monotonic
) -> MockApp:
    """A mock national side; ``clock`` (monotonic seconds) lets tests expire tokens at will."""
    return MockApp(MockState(settings or MockSettings(), clock))
