"""The checklist: each check is a function registered with its id, concern and what it proves.

A check raises :class:`~contracts.suite._context.CheckFailed` (through ``expect``) when the
deployment breaks the contract; returning normally means it passed. ``needs`` names the facts the
check cannot run without and ``produces`` those it leaves for others (the gateway's are
:class:`~contracts.suite._facts.Fact` members); when a need is missing the check is skipped, and a
skipped *required* check keeps the verdict at NOT READY. ``phase`` is for the checks that judge
or disturb the run as a whole, whose place facts alone cannot give (see :class:`Phase`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from contracts.suite._model import Concern

__all__ = ["CHECKS", "Check", "Checklist", "Phase", "check"]

CheckFunction = Callable[[Any], None]  # takes the run's context (gateway or NGSP)


class Phase(IntEnum):
    """When a check runs relative to the others, beyond what its facts order.

    Most checks probe one behaviour and may run in any order. A few look at the whole run: the
    rate-limit check leaves an identity throttled, so it comes after every probe; the audit checks
    look up every audited call made before them; the reviews judge every answer, the auditor's
    included; Schemathesis' traffic must not count in those reviews; the spec coverage counts
    everything, Schemathesis included.
    """

    PROBE = 0
    EXHAUST = 1
    AUDIT = 2
    REVIEW = 3
    PEER = 4
    TALLY = 5


@dataclass(frozen=True, slots=True)
class Check:
    check_id: str
    concern: Concern
    title: str
    proves: str
    run: CheckFunction
    needs: tuple[str, ...] = ()
    required: bool = True
    produces: tuple[str, ...] = ()
    phase: Phase = Phase.PROBE


class Checklist(list[Check]):
    """Checks in registration order; ``checklist.check(...)`` registers the decorated function."""

    def check(
        self,
        check_id: str,
        concern: Concern,
        title: str,
        proves: str,
        *,
        needs: tuple[str, ...] = (),
        required: bool = True,
        produces: tuple[str, ...] = (),
        phase: Phase = Phase.PROBE,
    ) -> Callable[[CheckFunction], CheckFunction]:
        def register(function: CheckFunction) -> CheckFunction:
            if any(c.check_id == check_id for c in self):
                raise ValueError(f"duplicate check id {check_id}")
            self.append(
                Check(check_id, concern, title, proves, function, needs, required, produces, phase)
            )
            return function

        return register


CHECKS = Checklist()  # the gateway's checklist (``lgsp contract run``)
check = CHECKS.check
