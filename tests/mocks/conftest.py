"""Fixtures for the mock national side: a small population served in process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mocks.app import MockApp, create_mock_app
from mocks.population import Population
from mocks.settings import MockSettings

POPULATION_SIZE = 50_000
SEED = 7
CREDENTIALS = ("lgsp-dev-key", "lgsp-dev-secret")


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def population() -> Population:
    return Population(POPULATION_SIZE, SEED)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mock_settings() -> MockSettings:
    return MockSettings(population_size=POPULATION_SIZE, seed=SEED, max_hang_s=0.2)


@pytest.fixture
def mock_app(mock_settings: MockSettings, clock: FakeClock) -> MockApp:
    return create_mock_app(mock_settings, clock=clock)


@pytest.fixture
async def mock_client(mock_app: MockApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mock_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        yield http
