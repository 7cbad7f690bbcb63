"""The checklist: each check is a function registered with its id, concern and what it proves.

A check raises :class:`~contracts.suite._context.CheckFailed` (through ``expect``) when the
deployment breaks the contract; returning normally means it passed. ``needs`` names what the check
cannot run without (``basic``, ``auditor``, ``mock``, ``citizen``, ``absent``, ``cmnd``); when one
is missing the check is skipped, and a skipped *required* check keeps the verdict at NOT READY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.suite._model import Concern

__all__ = ["CHECKS", "Check", "Checklist", "check"]

CheckFunction = Callable[[Any], None]  # takes the run's context (gateway or NGSP)


@dataclass(frozen=True, slots=True)
class Check:
    check_id: str
    concern: Concern
    title: str
    proves: str
    run: CheckFunction
    needs: tuple[str, ...] = ()
    required: bool = True


class Checklist(list[Check]):
    """Checks in running order; ``checklist.check(...)`` registers the decorated function."""

    def check(
        self,
        check_id: str,
        concern: Concern,
        title: str,
        proves: str,
        *,
        needs: tuple[str, ...] = (),
        required: bool = True,
    ) -> Callable[[CheckFunction], CheckFunction]:
        def register(function: CheckFunction) -> CheckFunction:
            if any(c.check_id == check_id for c in self):
                raise ValueError(f"duplicate check id {check_id}")
            self.append(Check(check_id, concern, title, proves, function, needs, required))
            return function

        return register


CHECKS = Checklist()  # the gateway's checklist (``lgsp contract run``)
check = CHECKS.check
