"""Fault injection: rules (what testers write), the engine (what acts per request), scenarios."""

from mocks.faults import _rules
from mocks.faults._engine import Decision, FaultEngine, Rule
from mocks.faults._rules import *  # noqa: F403  (the rule models, listed once in its __all__)
from mocks.faults._scenario import load_scenario, parse_scenario

__all__ = [
    "Decision",
    "FaultEngine",
    "Rule",
    "load_scenario",
    "parse_scenario",
]
__all__ += _rules.__all__
