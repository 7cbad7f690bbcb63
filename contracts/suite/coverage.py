"""Spec coverage: which documented (operation, status) pairs a run actually saw answered.

A readiness verdict is only as good as what it exercised. Each answer is mapped to its
operation by the OpenAPI path templates (``contracts.paths``) and counted against the statuses
the operation documents; statuses it does not document are the schema checks' business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts.paths import match_template

__all__ = ["SpecCoverage", "spec_coverage"]

_METHODS = ("get", "put", "post", "delete", "patch")


Operation = tuple[str, str]  # (METHOD, template)


@dataclass(slots=True)
class SpecCoverage:
    documented: dict[Operation, frozenset[str]]
    exercised: dict[Operation, set[str]] = field(default_factory=dict)

    def add(self, method: str, path: str, status: int) -> None:
        template = match_template({t for _, t in self.documented}, path)
        key = (method.upper(), template or "")
        if key in self.documented and str(status) in self.documented[key]:
            self.exercised.setdefault(key, set()).add(str(status))

    @property
    def pairs(self) -> int:
        return sum(len(statuses) for statuses in self.documented.values())

    @property
    def covered(self) -> int:
        return sum(len(statuses) for statuses in self.exercised.values())

    @property
    def percent(self) -> float:
        return round(100 * self.covered / self.pairs, 1) if self.pairs else 0.0

    def summary(self) -> str:
        operations = sum(bool(self.exercised.get(op)) for op in self.documented)
        return (
            f"spec coverage {self.percent} %: {self.covered} of {self.pairs} documented "
            f"(operation, status) pairs answered; {operations} of {len(self.documented)} "
            "operations reached"
        )

    def rows(self) -> list[str]:
        """One line per operation: the statuses seen, and those documented but never seen."""
        lines = []
        for (method, template), statuses in sorted(self.documented.items(), key=_by_path):
            seen = self.exercised.get((method, template), set())
            missing = sorted(statuses - seen)
            line = f"{method} {template}: {', '.join(sorted(seen)) or 'none'}"
            lines.append(line + (f" (not seen: {', '.join(missing)})" if missing else ""))
        return lines


def _by_path(item: tuple[Operation, frozenset[str]]) -> tuple[str, str]:
    (method, template), _ = item
    return template, method


def spec_coverage(
    document: dict[str, Any], answers: Iterable[tuple[str, str, int]] = ()
) -> SpecCoverage:
    """Coverage of ``document`` by ``answers``: (method, path, status) triples."""
    documented = {
        (method.upper(), template): frozenset(str(s) for s in item[method].get("responses", {}))
        for template, item in document.get("paths", {}).items()
        for method in _METHODS
        if method in item
    }
    coverage = SpecCoverage(documented)
    for method, path, status in answers:
        coverage.add(method, path, status)
    return coverage
