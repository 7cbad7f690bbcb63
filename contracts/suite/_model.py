"""What a contract run produces: one result per check, with evidence, and the run's verdict.

Evidence is what a manager or auditor reads to believe a check: the calls made (request id,
method, path, status, time) and short notes. It never holds a citizen number in clear (paths and
notes pass through :func:`redact`), nor any name or birth date (response bodies are never kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from contracts.ids import mask_number

__all__ = [
    "CheckResult",
    "Concern",
    "Exchange",
    "RunReport",
    "Status",
    "redact",
]

_NUMBER_RUN = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")


def redact(text: str) -> str:
    """Mask every 9- or 12-digit run (a citizen number's shape) as ``054*******89``."""
    return _NUMBER_RUN.sub(lambda match: mask_number(match.group(1)), text)


class Concern(StrEnum):
    """The groups of the readiness checklist, in the order the report shows them."""

    CONNECTIVITY = "connectivity"
    SECURITY = "security"
    DATA_CONTRACT = "data contract"
    READABILITY = "readable by this gateway"
    RESILIENCE = "resilience"
    AUDIT = "audit"
    OPERATIONS = "operations"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # a precondition (credentials, mock admin) was not given


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP call the suite made; ``path`` is redacted, the body is never kept."""

    request_id: str
    method: str
    path: str
    status: int
    elapsed_ms: float
    client: str  # which of the suite's identities made it ("client", "basic", "auditor", "-")
    audited: bool  # the gateway must have written an audit record for it

    def describe(self) -> str:
        return (
            f"{self.method} {self.path} → {self.status} "
            f"({self.elapsed_ms:.0f} ms, X-Request-ID {self.request_id})"
        )


@dataclass(slots=True)
class CheckResult:
    check_id: str
    concern: Concern
    title: str
    proves: str
    required: bool
    status: Status = Status.PASSED
    message: str = ""
    notes: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def note(self, text: str) -> None:
        self.notes.append(redact(text))


@dataclass(slots=True)
class RunReport:
    """A whole run: where, when, with what, and every check's result."""

    suite_version: str
    target: str
    started_at: datetime
    finished_at: datetime | None = None
    environment: dict[str, str] = field(default_factory=dict)
    results: list[CheckResult] = field(default_factory=list)
    title: str = "LGSP go-live readiness report"
    verdicts: tuple[str, str] = ("READY FOR GO-LIVE", "NOT READY")
    # Separate verdicts over one concern each, e.g. verify-ngsp's "readable by this gateway" and
    # "conforms to the QCVN 109 XSDs": a national side can pass one and fail the other.
    aspects: tuple[tuple[str, Concern], ...] = ()
    # One-line warnings about the run itself, not any check's (an unreadable --mock-admin): the
    # console prints them above the summary, the environment table carries them in the reports.
    notices: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status is Status.FAILED]

    @property
    def missing_required(self) -> list[CheckResult]:
        return [r for r in self.results if r.status is Status.SKIPPED and r.required]

    @property
    def ready(self) -> bool:
        """Ready only when nothing failed and no required check was left unrun."""
        return bool(self.results) and not self.failed and not self.missing_required

    @property
    def verdict(self) -> str:
        return self.verdicts[0] if self.ready else self.verdicts[1]

    def aspect_verdicts(self) -> list[tuple[str, str]]:
        """(label, "passed" / "failed" / "not run") for each aspect of the run."""
        verdicts = []
        for label, concern in self.aspects:
            mine = [r for r in self.results if r.concern is concern]
            unrun = [r for r in mine if r.status is Status.SKIPPED and r.required]
            if any(r.status is Status.FAILED for r in mine):
                verdicts.append((label, "failed"))
            elif unrun or all(r.status is Status.SKIPPED for r in mine):
                verdicts.append((label, "not run"))  # a required check (or every one) did not run
            else:
                verdicts.append((label, "passed"))
        return verdicts

    def counts(self) -> dict[Status, int]:
        return {status: sum(r.status is status for r in self.results) for status in Status}

    def summary(self) -> str:
        """One sentence of counts, naming the failed and the required-but-unrun checks."""
        counts = self.counts()
        text = (
            f"{len(self.results)} checks: {counts[Status.PASSED]} passed, "
            f"{counts[Status.FAILED]} failed, {counts[Status.SKIPPED]} skipped."
        )
        if self.failed:
            text += " Failed: " + ", ".join(r.check_id for r in self.failed) + "."
        if self.missing_required:
            names = ", ".join(r.check_id for r in self.missing_required)
            text += f" Required but not run: {names}."
        for label, verdict in self.aspect_verdicts():
            text += f" {label[:1].upper()}{label[1:]}: {verdict}."
        return text

    def environment_rows(self) -> dict[str, str]:
        finished = self.finished_at.isoformat(timespec="seconds") if self.finished_at else "-"
        return {
            **self.environment,
            "started": self.started_at.isoformat(timespec="seconds"),
            "finished": finished,
        }

    def by_concern(self) -> list[tuple[Concern, list[CheckResult]]]:
        groups = [(c, [r for r in self.results if r.concern is c]) for c in Concern]
        return [(concern, results) for concern, results in groups if results]
