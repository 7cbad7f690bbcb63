"""Which checks a run makes, and in what order: producers before consumers, phases in turn.

The order checks were registered in decides nothing but ties: a check runs once every planned
producer of what it needs has run and every check of an earlier :class:`Phase` has run. Selecting
a few checks (``--only``) plans, besides them, one producer of each fact they need that none of
them produces; those helpers run first and are not reported, the consumer's evidence names them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from contracts.suite._registry import Check

__all__ = ["Step", "plan", "producers"]


@dataclass(frozen=True, slots=True)
class Step:
    check: Check
    selected: bool  # False: a helper, run only for a fact a selected check needs


def producers(checks: Sequence[Check], fact: str) -> list[Check]:
    """The checks that declare ``fact`` in their ``produces``, in registration order."""
    return [c for c in checks if fact in c.produces]


def plan(checks: Sequence[Check], only: Collection[str] | None = None) -> list[Step]:
    """The run's steps: every check (or those in ``only`` and their helpers), in running order."""
    unknown = set(only or ()) - {c.check_id for c in checks}
    if unknown:
        raise ValueError(f"no check with the id {', '.join(sorted(unknown))}")
    chosen = [c for c in checks if only is None or c.check_id in only]
    ids = {c.check_id for c in chosen}
    return [Step(c, c.check_id in ids) for c in _ordered(_with_helpers(checks, chosen))]


def _with_helpers(checks: Sequence[Check], chosen: list[Check]) -> list[Check]:
    """``chosen`` and, for each need no planned check produces, its first producer (recursively)."""
    planned, pending = list(chosen), list(chosen)
    while pending:
        for need in pending.pop().needs:
            found = producers(checks, need)
            if found and not producers(planned, need):
                planned.append(found[0])
                pending.append(found[0])
    return planned


def _ordered(planned: list[Check]) -> list[Check]:
    """The earliest (phase, position) check whose planned producers have run, again and again."""
    left, done = list(planned), []
    while left:
        ready = [c for c in left if not any(_feeds(other, c) for other in left)]
        if not ready:
            cycle = ", ".join(c.check_id for c in left)
            raise ValueError(f"these checks need each other's facts: {cycle}")
        step = min(ready, key=lambda c: (c.phase, left.index(c)))
        left.remove(step)
        done.append(step)
    return done


def _feeds(producer: Check, consumer: Check) -> bool:
    return producer is not consumer and bool(set(producer.produces) & set(consumer.needs))
