"""Fault injection: rules (what testers write), the engine (what acts per request), scenarios."""

from mocks.faults._engine import Decision, FaultEngine, Rule
from mocks.faults._rules import (
    Action,
    ExpireTokens,
    Hang,
    HttpError,
    Latency,
    Malformed,
    Match,
    Pass,
    Reset,
    RuleSpec,
    Scenario,
    SoapFaultAction,
    Truncated,
)
from mocks.faults._scenario import load_scenario, parse_scenario

__all__ = [
    "Action",
    "Decision",
    "ExpireTokens",
    "FaultEngine",
    "Hang",
    "HttpError",
    "Latency",
    "Malformed",
    "Match",
    "Pass",
    "Reset",
    "Rule",
    "RuleSpec",
    "Scenario",
    "SoapFaultAction",
    "Truncated",
    "load_scenario",
    "parse_scenario",
]
