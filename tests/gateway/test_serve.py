"""The serving process tunes itself: its app freezes the start-up heap once the app has started.

``create_app`` is the same app for every caller (tests included) and never touches the process's
collector; ``gateway.serve`` does, for the process it owns (each worker runs the same path).
"""

from __future__ import annotations

import faulthandler
import gc
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from contracts import admin_eras
from gateway import serve
from gateway.app import create_app
from gateway.settings import Settings


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What start-up did, in order: tables loaded, runtime published, heap frozen."""
    seen: list[str] = []
    tables = admin_eras.tables

    def load_tables() -> Any:
        seen.append("tables")
        return tables()

    def freeze() -> None:  # the real one would keep this test process's objects for good
        seen.append("freeze")

    monkeypatch.setattr(admin_eras, "tables", load_tables)
    monkeypatch.setattr(gc, "freeze", freeze)
    return seen


async def start_and_stop(app: FastAPI, events: list[str]) -> None:
    async with app.router.lifespan_context(app):
        events.append("started" if hasattr(app.state, "runtime") else "no runtime")


async def test_the_served_app_freezes_once_after_its_start_up(
    settings: Settings, events: list[str]
) -> None:
    app = serve.serving_app(settings)
    assert events == []  # building the app freezes nothing
    await start_and_stop(app, events)
    assert events == ["tables", "freeze", "started"]


async def test_an_app_alone_loads_the_tables_and_never_freezes(
    settings: Settings, events: list[str]
) -> None:
    """Whoever builds the app, with or without a replaced client, gets the same start-up."""
    await start_and_stop(create_app(settings), events)
    assert events == ["tables", "started"]


async def test_a_served_process_runs_the_freezing_app(
    settings: Settings, events: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lgsp serve`` and every worker go through ``_serve_one``: it must serve that app."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: served.append(server))
    monkeypatch.setattr(faulthandler, "enable", lambda **_: None)
    serve._serve_one(settings)
    (server,) = served
    await start_and_stop(server.config.app, events)
    assert events == ["tables", "freeze", "started"]
