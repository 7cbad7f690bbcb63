"""`lgsp mock` on the command line, and the start-up bounds of a large population."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc

import pytest
from typer.testing import CliRunner

from mocks.cli import mock_app
from mocks.population import Population
from mocks.settings import MockSettings


def test_sample_prints_json_that_the_server_would_know() -> None:
    result = CliRunner().invoke(
        mock_app, ["sample", "-n", "3", "--json", "--population-size", "20000", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    people = json.loads(result.output)
    assert len(people) == 3
    population = Population(20_000, 5)
    assert all(population.get(p["personal_id"]) is not None for p in people)


def test_sample_prints_a_table_by_default() -> None:
    result = CliRunner().invoke(mock_app, ["sample", "-n", "2", "--population-size", "20000"])
    assert result.exit_code == 0, result.output
    assert "2 citizens" in result.output


def test_serving_options_are_documented() -> None:
    result = CliRunner().invoke(mock_app, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--scenario", "--population-size", "--dialect", "--seed"):
        assert option in result.output


def test_importing_the_cli_builds_nothing() -> None:
    code = "import sys, mocks.cli; print(sorted(m for m in sys.modules if m.startswith('mocks')))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "mocks.population" not in output
    assert "mocks.app" not in output


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_MOCK_DIALECT", "live")
    monkeypatch.setenv("LGSP_MOCK_POPULATION_SIZE", "1234")
    settings = MockSettings()
    assert (settings.dialect, settings.population_size) == ("live", 1234)


def _start_seconds(size: int) -> float:
    """Best of three start-ups of a population of ``size`` (best: least disturbed by load)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        population = Population(size, 1)
        population.get(population.sample(1)[0].personal_id)
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_a_million_citizens_start_fast_and_small() -> None:
    """Start-up stores nothing per citizen: 100 x the citizens is not 10 x the time or memory.

    A ratio, not a clock limit (a loaded machine slows both sizes alike); bench/mock_bench.py
    records the absolute 10-million figures.
    """
    assert _start_seconds(1_000_000) < 10 * _start_seconds(10_000)
    tracemalloc.start()
    population = Population(1_000_000, 1)
    population.get(population.sample(1)[0].personal_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
