"""What both stores share: the table names, the job columns in order, and counting outcomes.

Tables (prefixed so they sit beside the audit trail's tables without clashing):
``verification_jobs`` (one row per job, its purpose and counters), ``verification_job_inputs``
(rows still to verify, with their lease; deleted once verified) and ``verification_job_results``
(one row per input row once it has its outcome; primary key ``(job_id, ordinal)``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from gateway.jobs._model import Counts, Job, JobCensus, JobSpec, JobState, Outcome

__all__ = [
    "CENSUS_SQL",
    "COUNT_COLUMNS",
    "JOB_COLUMNS",
    "SPEC_COLUMNS",
    "census_from_rows",
    "counter_updates",
    "job_from_row",
]

SPEC_COLUMNS = (
    "client_id",
    "agency_code",
    "purpose_code",
    "officer_id",
    "case_id",
    "request_id",
    "trace_id",
)
COUNT_COLUMNS = ("total", *(outcome.value for outcome in Outcome))
JOB_COLUMNS = (
    "id",
    *SPEC_COLUMNS,
    "state",
    *COUNT_COLUMNS,
    "created_at",
    "started_at",
    "finished_at",
    "erased_at",
)


_OUTCOMES = tuple(outcome.value for outcome in Outcome)
CENSUS_SQL = (  # constant names only: nothing here comes from input
    f"SELECT state, COUNT(*), {', '.join(f'SUM({o})' for o in _OUTCOMES)},"  # noqa: S608
    " MIN(started_at) FROM verification_jobs WHERE erased_at IS NULL GROUP BY state"
)


def census_from_rows(
    rows: Iterable[Sequence[Any]], moment: Callable[[Any], datetime | None]
) -> JobCensus:
    """A census from :data:`CENSUS_SQL`'s rows; ``moment`` reads a stored time."""
    jobs = dict.fromkeys((state.value for state in JobState), 0)
    outcomes = dict.fromkeys(_OUTCOMES, 0)
    oldest: datetime | None = None
    for state, count, *sums, started in rows:
        jobs[state] = int(count)
        for outcome, total in zip(_OUTCOMES, sums, strict=True):
            outcomes[outcome] += int(total or 0)
        if state == JobState.RUNNING.value:
            oldest = moment(started)
    return JobCensus(jobs=jobs, rows=outcomes, oldest_running_since=oldest)


def job_from_row(row: Sequence[Any], moment: Callable[[Any], datetime | None]) -> Job:
    """A job from its values in :data:`JOB_COLUMNS` order; ``moment`` reads a stored time."""
    values = dict(zip(JOB_COLUMNS, row, strict=True))
    created_at = moment(values["created_at"])
    if created_at is None:  # NOT NULL in both schemas: only a damaged store gets here
        raise ValueError(f"job {values['id']} has no creation time")
    return Job(
        id=values["id"],
        spec=JobSpec(**{name: values[name] for name in SPEC_COLUMNS}),
        state=JobState(values["state"]),
        counts=Counts(**{name: values[name] for name in COUNT_COLUMNS}),
        created_at=created_at,
        started_at=moment(values["started_at"]),
        finished_at=moment(values["finished_at"]),
        erased_at=moment(values["erased_at"]),
    )


def counter_updates(accepted: Iterable[tuple[str, str]]) -> dict[str, Counter[str]]:
    """Per job id (sorted, so transactions lock jobs in one order), how many of each outcome."""
    tallies: dict[str, Counter[str]] = {}
    for job_id, outcome in accepted:
        tallies.setdefault(job_id, Counter())[Outcome(outcome).value] += 1
    return dict(sorted(tallies.items()))
