"""What a job is made of: who asked and why, its rows, their outcomes and the job's counters.

A :class:`RowInput` holds one citizen's details as the province's register has them; it lives in
the store only until the row is verified. A :class:`RowResult` is what stays: the number as given,
the outcome and a reason code. ``repr`` of a row never shows a number in clear, so a row that
reaches a log line through an exception or a debug print cannot leak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from contracts.ids import mask_number

__all__ = [
    "ACTIVE_STATES",
    "FINISHED_STATES",
    "Claim",
    "Completion",
    "Counts",
    "Deferral",
    "Job",
    "JobSpec",
    "JobState",
    "Outcome",
    "RowInput",
    "RowKey",
    "RowResult",
    "Verdict",
]


class Outcome(StrEnum):
    """The one outcome every input row ends with."""

    MATCHED = "matched"  # the national side confirmed the citizen with every given detail
    MISMATCHED = "mismatched"  # the citizen exists but a given detail differs (reason names it)
    NOT_FOUND = "not_found"  # no citizen has this number
    INVALID = "invalid"  # the row itself is unusable (reason names why); never sent upstream
    FAILED = "failed"  # the national side kept failing for this row (reason: the error code)
    SKIPPED = "skipped"  # the job was cancelled before this row was verified


class JobState(StrEnum):
    RECEIVING = "receiving"  # the upload is still streaming in; no worker touches it
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
FINISHED_STATES = frozenset({JobState.COMPLETED, JobState.CANCELLED})


@dataclass(frozen=True, slots=True)
class JobSpec:
    """Who submitted the job and why: every row is verified and audited under this purpose."""

    client_id: str
    agency_code: str | None
    purpose_code: str
    officer_id: str
    case_id: str | None = None
    request_id: str | None = None  # the submitting HTTP request, to join job and audit trail
    trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    matched: int = 0
    mismatched: int = 0
    not_found: int = 0
    invalid: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        """Rows that have their final outcome."""
        return (
            self.matched
            + self.mismatched
            + self.not_found
            + self.invalid
            + self.failed
            + self.skipped
        )

    def of(self, outcome: Outcome) -> int:
        count: int = getattr(self, outcome.value)
        return count


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    spec: JobSpec
    state: JobState
    counts: Counts
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    erased_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


@dataclass(frozen=True, slots=True)
class RowInput:
    """One row to verify: a checked number plus the details the register gives (any may be None)."""

    ordinal: int  # 1 = the first data row after the header
    number: str
    full_name: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    sex: int | None = None  # GioiTinh: 1 male, 2 female
    attempts: int = 0  # earlier tries that ended in a transient failure

    def __repr__(self) -> str:
        return f"RowInput(ordinal={self.ordinal}, number={mask_number(self.number)!r})"


@dataclass(frozen=True, slots=True)
class RowResult:
    """The final line of one input row; ``number`` is the text the register had (may be invalid)."""

    ordinal: int
    number: str
    outcome: Outcome
    reason: str = ""

    def __repr__(self) -> str:
        return (
            f"RowResult(ordinal={self.ordinal}, number={mask_number(self.number)!r}, "
            f"outcome={self.outcome.value!r}, reason={self.reason!r})"
        )


@dataclass(frozen=True, slots=True)
class RowKey:
    """A claimed row as the store knows it: the claim id fences every later write to it."""

    job_id: str
    ordinal: int
    claim_id: str


@dataclass(frozen=True, slots=True)
class Claim:
    """Rows of one job leased to one worker until the lease ends or the worker reports them."""

    job_id: str
    claim_id: str
    spec: JobSpec
    rows: tuple[RowInput, ...] = field(default=())

    def key(self, row: RowInput) -> RowKey:
        return RowKey(self.job_id, row.ordinal, self.claim_id)


@dataclass(frozen=True, slots=True)
class Completion:
    """A claimed row's final outcome, accepted by the store only while the claim still holds."""

    key: RowKey
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A row is done: its outcome and reason code."""

    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Deferral:
    """A row cannot be finished now; try it again after ``delay_s``.

    ``pause_worker`` stops claiming for that long (the circuit is open, the audit trail is down):
    every other row would meet the same fate. ``counts_as_attempt`` is true when the national side
    was actually tried, so a row that keeps failing ends as ``failed`` instead of looping forever.
    """

    reason: str
    delay_s: float
    pause_worker: bool = False
    counts_as_attempt: bool = True


@dataclass(frozen=True, slots=True)
class JobCensus:
    """The store's jobs at one moment (erased ones left out), for the ``lgsp_jobs_*`` metrics."""

    jobs: dict[str, int]  # by state: every JobState, 0 when none
    rows: dict[str, int]  # by outcome, over every stored job: every Outcome, 0 when none
    oldest_running_since: datetime | None  # when the longest-running job started
