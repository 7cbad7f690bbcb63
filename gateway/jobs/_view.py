"""How a job looks from outside: its state, progress counters, throughput and ETA, and links.

The view never holds a row: only counts, times and the purpose the job runs under.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.jobs._model import Counts, Job

__all__ = ["JobLinks", "JobList", "JobProgress", "JobView", "estimate"]

JOBS_PATH = "/api/v1/verification-jobs"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class JobProgress(_Model):
    total: int = Field(description="Data rows in the upload (the header is not a row).")
    done: int = Field(description="Rows with their final outcome.")
    matched: int
    mismatched: int
    not_found: int
    invalid: int
    failed: int
    skipped: int = Field(description="Rows left unverified because the job was cancelled.")
    percent: float
    rows_per_s: float | None = Field(None, description="Verified rows per second since start.")
    eta_s: float | None = Field(None, description="Seconds to completion at that pace.")


class JobLinks(_Model):
    self: str
    results: str
    cancel: str


class JobView(_Model):
    """A verification job (``GET /api/v1/verification-jobs/{id}``)."""

    id: str
    state: Literal["receiving", "queued", "running", "completed", "cancelled"]
    purpose_code: str
    officer_id: str
    case_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results_available: bool = Field(
        description="The result file can be downloaded (finished and not yet erased)."
    )
    erased_at: datetime | None = Field(None, description="When its rows and results were erased.")
    progress: JobProgress
    links: JobLinks

    @classmethod
    def of(cls, job: Job, now: datetime | None = None) -> JobView:
        base = f"{JOBS_PATH}/{job.id}"
        return cls(
            id=job.id,
            state=job.state.value,
            purpose_code=job.spec.purpose_code,
            officer_id=job.spec.officer_id,
            case_id=job.spec.case_id,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            results_available=job.finished and job.erased_at is None,
            erased_at=job.erased_at,
            progress=_progress(job, now or datetime.now(UTC)),
            links=JobLinks(self=base, results=f"{base}/results", cancel=f"{base}/cancel"),
        )


class JobList(_Model):
    """A client's jobs, newest first (``GET /api/v1/verification-jobs``)."""

    jobs: list[JobView]


def _progress(job: Job, now: datetime) -> JobProgress:
    counts = job.counts
    rate, eta = estimate(job, now)
    return JobProgress(
        total=counts.total,
        done=counts.done,
        matched=counts.matched,
        mismatched=counts.mismatched,
        not_found=counts.not_found,
        invalid=counts.invalid,
        failed=counts.failed,
        skipped=counts.skipped,
        percent=round(100 * counts.done / counts.total, 2) if counts.total else 100.0,
        rows_per_s=rate,
        eta_s=eta,
    )


def _verified(counts: Counts) -> int:
    return counts.done - counts.invalid - counts.skipped


def estimate(job: Job, now: datetime) -> tuple[float | None, float | None]:
    """(verified rows per second since the job started, seconds left at that pace).

    A finished job reports its pace from start to finish and an ETA of 0.
    """
    remaining = job.counts.total - job.counts.done
    if job.started_at is None:
        return None, (0.0 if job.finished else None)
    elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
    verified = _verified(job.counts)
    if elapsed <= 0 or verified <= 0:
        return None, (0.0 if job.finished else None)
    rate = verified / elapsed
    return round(rate, 2), (0.0 if job.finished else round(remaining / rate, 1))
