"""Shared fixtures: the gateway over the mock national side, or over a fake of the adapter.

``stack`` is the in-process end-to-end arrangement of design §8: the gateway app whose NGSP HTTP
client is an httpx client on the mock's ASGI app, both lifespans running, audit in a temporary
SQLite file. ``faked`` is the other arrangement of §8: the same gateway with the adapter faked at
its interface (``adapters.ngsp.testing.FakeNgsp``), for route tests that need an adapter answer
or error, not the join. Nothing listens on a port. ``make_settings`` is the one place the
gateway's test settings are written; a test module overrides only what it is about.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.ngsp.testing import FakeNgsp
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


# What production insists on (gateway/settings.py): long keys, a real consumer secret, a
# checkpoint signing key. Test values only; a test of a refusal leaves one out.
PRODUCTION_SECRETS: dict[str, Any] = {
    "token_signing_key": "k" * 40,
    "audit_hmac_key": "a" * 40,
    "audit_signing_key": "S2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc=",
    "ngsp_consumer_secret": "real-consumer-secret",
}


def production_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with ``env=production`` and every secret it requires; ``overrides`` may replace
    or (with ``None``) remove any of them."""
    values = {"env": "production", "clients_file": tmp_path / "clients.yaml", **PRODUCTION_SECRETS}
    values |= overrides
    return Settings(**{name: value for name, value in values.items() if value is not None})


@dataclass
class Gateway:
    """A running gateway app and an HTTP client on it."""

    gateway: httpx.AsyncClient
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


@dataclass
class Stack(Gateway):
    """The gateway and the mock national side, in process."""

    mock: httpx.AsyncClient

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
        _client(app, "http://gateway.test") as gateway,
        _client(mock_app, "http://ngsp.test") as mock,
    ):
        yield Stack(gateway=gateway, mock=mock, app=app, settings=settings)
    await mock_lifespan.aclose()


@dataclass
class Faked(Gateway):
    """The gateway over :class:`FakeNgsp`: script its answers and errors, read its calls."""

    ngsp: FakeNgsp


@pytest.fixture
async def faked(settings: Settings) -> AsyncIterator[Faked]:
    ngsp = FakeNgsp()
    app = create_app(settings, ngsp=ngsp)
    async with app.router.lifespan_context(app), _client(app, "http://gateway.test") as gateway:
        yield Faked(gateway=gateway, app=app, settings=settings, ngsp=ngsp)


def _client(app: Any, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
