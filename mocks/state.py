"""Everything one running mock holds: settings, population, tokens, fault rules and journal.

Built once by :func:`mocks.app.create_mock_app` and shared by the endpoints and the admin API.
The population is built lazily on first use, so importing and creating the app stay cheap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import cached_property

from mocks.faults import FaultEngine, Scenario, load_scenario
from mocks.journal import Journal
from mocks.population import Population
from mocks.service import PopulationService
from mocks.settings import DataEra, Dialect, EnvelopeStyle, MockSettings
from mocks.tokens import TokenStore

__all__ = ["MockState"]


class MockState:
    def __init__(self, settings: MockSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.dialect: Dialect = settings.dialect
        self.envelope_style: EnvelopeStyle = settings.envelope_style
        self.data_era: DataEra = settings.data_era
        self.tokens = TokenStore(
            settings.consumer_key, settings.consumer_secret, settings.token_lifetime_s, clock
        )
        self.faults = FaultEngine(settings.seed)
        self.journal = Journal(settings.journal_size)
        self.hangs_released = asyncio.Event()
        self.held = 0  # requests held by a 'hang' fault right now
        if settings.scenario is not None:
            self.apply(load_scenario(settings.scenario))

    @cached_property
    def population(self) -> Population:
        return Population(self.settings.population_size, self.settings.seed)

    @cached_property
    def service(self) -> PopulationService:
        return PopulationService(
            self.population,
            lambda: self.dialect,
            lambda: self.envelope_style,
            lambda: self.data_era,
        )

    def apply(self, scenario: Scenario) -> list[str]:
        """Replace the fault rules with the scenario's and apply its configuration."""
        if scenario.dialect is not None:
            self.dialect = scenario.dialect
        if scenario.token_lifetime_s is not None:
            self.tokens.lifetime_s = scenario.token_lifetime_s
        self.faults.clear()
        return [self.faults.add(spec).id for spec in scenario.faults]

    def release_hangs(self) -> None:
        """Let every held ('hang') request go, and arm a fresh event for later hangs."""
        self.hangs_released.set()
        self.hangs_released = asyncio.Event()

    def reset(self) -> None:
        """Back to start: no rules, journal or tokens; configured dialect, style, era, lifetime."""
        self.faults.clear()
        self.journal.reset()
        self.release_hangs()
        self.dialect = self.settings.dialect
        self.envelope_style = self.settings.envelope_style
        self.data_era = self.settings.data_era
        self.tokens = TokenStore(
            self.settings.consumer_key,
            self.settings.consumer_secret,
            self.settings.token_lifetime_s,
            self.tokens.clock,
        )
