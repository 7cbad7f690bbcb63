"""Deciding, per request, which fault rules act: latency adds up, the first terminal action wins.

Rules are tried in the order they were added. A matching rule that passes its probability draw
takes its next step (its only action, or the next one of its sequence); a latency step adds its
delay and the search goes on; a ``pass`` step lets this rule off; any other step ends the search
and is what the request gets. Draws come from a ``random.Random`` seeded from the mock's seed, so
a scripted run repeats exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from mocks.faults._rules import Action, Latency, Pass, RuleSpec

__all__ = ["Decision", "FaultEngine", "Rule"]


@dataclass
class Rule:
    spec: RuleSpec
    id: str
    fired: int = 0
    position: int = 0

    @property
    def exhausted(self) -> bool:
        if self.spec.sequence is not None:
            return not self.spec.repeat and self.position >= len(self.spec.sequence)
        return self.spec.times is not None and self.fired >= self.spec.times

    def take_step(self) -> Action:
        self.fired += 1
        if self.spec.sequence is None:
            assert self.spec.action is not None  # noqa: S101 - guaranteed by RuleSpec
            return self.spec.action
        step = self.spec.sequence[self.position % len(self.spec.sequence)]
        self.position += 1
        return step

    def to_json(self) -> dict[str, Any]:
        body = self.spec.model_dump(mode="json", exclude_none=True)
        return {**body, "id": self.id, "fired": self.fired, "exhausted": self.exhausted}


@dataclass(frozen=True, slots=True)
class Decision:
    delay_s: float = 0.0
    action: Action | None = None  # None: answer normally (after the delay)
    rule_id: str | None = None
    latency_rules: tuple[str, ...] = field(default=())

    @property
    def rules(self) -> str | None:
        """The rules that acted, for the journal: the terminal one, else the latency ones."""
        return self.rule_id or ",".join(self.latency_rules) or None


class FaultEngine:
    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random = random.Random(seed)
        self._rules: list[Rule] = []
        self._next_id = 1

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def add(self, spec: RuleSpec) -> Rule:
        rule_id = spec.id or f"rule-{self._next_id}"
        self._next_id += 1
        if any(rule.id == rule_id for rule in self._rules):
            raise ValueError(f"a rule with id {rule_id!r} already exists")
        rule = Rule(spec, rule_id)
        self._rules.append(rule)
        return rule

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self._rules if rule.id == rule_id), None)

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [rule for rule in self._rules if rule.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        """Remove every rule and restart the random draws from the seed."""
        self._rules.clear()
        self._random = random.Random(self._seed)
        self._next_id = 1

    def decide(self, operation: str, number: str | None) -> Decision:
        if not self._rules:
            return Decision()
        delay = 0.0
        latency_rules: list[str] = []
        for rule in self._rules:
            if rule.exhausted or not rule.spec.match.applies(operation, number):
                continue
            if rule.spec.probability < 1.0 and self._random.random() >= rule.spec.probability:
                continue
            step = rule.take_step()
            if isinstance(step, Latency):
                delay += self._delay_s(step)
                latency_rules.append(rule.id)
            elif not isinstance(step, Pass):
                return Decision(delay, step, rule.id, tuple(latency_rules))
        return Decision(delay, None, None, tuple(latency_rules))

    def _delay_s(self, latency: Latency) -> float:
        if latency.distribution == "uniform":
            return self._random.uniform(latency.min_ms, max(latency.min_ms, latency.max_ms)) / 1e3
        if latency.distribution == "lognormal":
            median = max(latency.median_ms, 1e-3)
            return self._random.lognormvariate(math.log(median), latency.sigma) / 1e3
        return latency.ms / 1e3
