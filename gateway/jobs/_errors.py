"""The jobs package's exception tree: every way submitting, storing or reading a job can fail.

Driver errors (``sqlite3.Error``, asyncpg and socket errors) are translated in the store modules
with ``raise ... from exc``; the HTTP router translates these into problem responses::

    JobError                    base of every job failure; ``code`` is stable and machine-readable
    ├── CsvFormatError          the upload cannot be read as a CSV register at all (→ 422): no
    │                           header, a mapped column is missing, a record never ends
    ├── TooManyRows             the upload has more rows than ``jobs_max_rows`` (→ 413)
    ├── JobNotFound             no job with this id for this client (→ 404)
    ├── JobStateError           the job is not in a state that allows this (→ 409 / 410)
    ├── JobStoreUnavailable     the job store cannot answer now (→ 503)
    └── JobConfigError          a DSN or setting the store cannot use (start-up)

A bad *row* is never an exception: it becomes an ``invalid`` result with a reason code.
"""

from __future__ import annotations

__all__ = [
    "CsvFormatError",
    "JobConfigError",
    "JobError",
    "JobNotFound",
    "JobStateError",
    "JobStoreUnavailable",
    "TooManyRows",
]


class JobError(Exception):
    """Base of every job failure."""

    code = "job_error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class CsvFormatError(JobError):
    code = "csv_invalid"


class TooManyRows(JobError):
    code = "too_many_rows"


class JobNotFound(JobError):
    code = "job_not_found"


class JobStateError(JobError):
    code = "job_state_conflict"


class JobStoreUnavailable(JobError):
    code = "job_store_unavailable"


class JobConfigError(JobError, ValueError):
    code = "job_config_invalid"
