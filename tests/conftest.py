"""Shared fixtures: the mock national side and the gateway, joined in process.

``stack`` is the in-process end-to-end arrangement of design §8: the gateway app whose NGSP HTTP
client is an httpx client on the mock's ASGI app, both lifespans running, audit in a temporary
SQLite file. Nothing listens on a port. ``make_settings`` is the one place the gateway's test
settings are written; a test module overrides only what it is about.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import Settings
from mocks.app import create_mock_app
from mocks.settings import MockSettings

# No personal data the suite handles may appear in clear in its output (tests/pii_guard.py).
pytest_plugins = ["tests.pii_guard"]

PURPOSE_HEADERS = {"X-Purpose-Code": "1.001612", "X-Officer-Id": "officer-17"}


@pytest.fixture(autouse=True)
def _own_checkpoint_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed audit checkpoints go to the test's own directory, never the repository's var/."""
    monkeypatch.setenv("LGSP_AUDIT_CHECKPOINT_DIR", str(tmp_path / "audit-checkpoints"))


@pytest.fixture
def mock_settings() -> MockSettings:
    return MockSettings(population_size=20_000, seed=2021, dialect="mixed")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Gateway settings for a test: its own audit and job stores under ``tmp_path``, JSON logs,
    NGSP at the in-process mock's host; ``overrides`` are what the test is about."""
    values: dict[str, Any] = {
        "ngsp_base_url": "http://ngsp.test",
        "audit_dsn": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "jobs_dsn": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "log_format": "json",
    }
    return Settings(**(values | overrides))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@dataclass
class Stack:
    """The gateway and the mock national side, in process."""

    gateway: httpx.AsyncClient
    mock: httpx.AsyncClient
    app: FastAPI
    settings: Settings

    async def token(self, client_id: str = "demo-portal", secret: str = "demo-secret") -> str:
        response = await self.gateway.post(
            "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}", **PURPOSE_HEADERS, **extra}

    async def sample(self, **filters: Any) -> list[dict[str, Any]]:
        response = await self.mock.get("/__admin/citizens/sample", params={"n": 5, **filters})
        assert response.status_code == 200, response.text
        people: list[dict[str, Any]] = response.json()
        return people


async def _with_lifespan(app: Any) -> AsyncGenerator[None]:
    async with app.router.lifespan_context(app):
        yield


@pytest.fixture
async def stack(settings: Settings, mock_settings: MockSettings) -> AsyncIterator[Stack]:
    mock_app: Any = create_mock_app(mock_settings)
    mock_lifespan = _with_lifespan(mock_app)
    await anext(mock_lifespan)
    upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=mock_app))
    app = create_app(settings, http=upstream)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as gateway,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=mock_app), base_url="http://ngsp.test"
        ) as mock,
    ):
        yield Stack(gateway=gateway, mock=mock, app=app, settings=settings)
    await mock_lifespan.aclose()
