"""Bulk verification jobs: a province's whole register checked against the national database.

A portal uploads a CSV register (``POST /api/v1/verification-jobs`` or ``lgsp verify-batch``);
the rows stream into a :class:`JobStore` (SQLite embedded, or PostgreSQL shared by replicas); a
:class:`JobWorker` in each gateway process claims rows under a lease, verifies them through the
same NGSP adapter as single look-ups at a bounded rate and concurrency, audits each row under the
job's purpose, and checkpoints outcomes so a killed process resumes without losing or repeating a
result. The result file has one line per input row. See ``docs/jobs.md``.
"""

from gateway.jobs._csv import DELIMITERS, ColumnMap, read_records, read_rows
from gateway.jobs._errors import (
    CsvFormatError,
    JobConfigError,
    JobError,
    JobNotFound,
    JobStateError,
    JobStoreUnavailable,
    TooManyRows,
)
from gateway.jobs._export import RESULT_COLUMNS, escape_cell
from gateway.jobs._model import (
    Claim,
    Completion,
    Counts,
    Deferral,
    Job,
    JobCensus,
    JobSpec,
    JobState,
    Outcome,
    RowInput,
    RowKey,
    RowResult,
    Verdict,
)
from gateway.jobs._pacer import Pacer
from gateway.jobs._postgres import PostgresJobStore
from gateway.jobs._service import JobService, open_job_service
from gateway.jobs._sqlite import SqliteJobStore
from gateway.jobs._store import JobStore, open_job_store
from gateway.jobs._verify import NgspRowVerifier, PopulationLink, explain
from gateway.jobs._view import JobList, JobProgress, JobView
from gateway.jobs._worker import JobWorker, RowVerifier, WorkerConfig

__all__ = [
    "DELIMITERS",
    "RESULT_COLUMNS",
    "Claim",
    "ColumnMap",
    "Completion",
    "Counts",
    "CsvFormatError",
    "Deferral",
    "Job",
    "JobCensus",
    "JobConfigError",
    "JobError",
    "JobList",
    "JobNotFound",
    "JobProgress",
    "JobService",
    "JobSpec",
    "JobState",
    "JobStateError",
    "JobStore",
    "JobStoreUnavailable",
    "JobView",
    "JobWorker",
    "NgspRowVerifier",
    "Outcome",
    "Pacer",
    "PopulationLink",
    "PostgresJobStore",
    "RowInput",
    "RowKey",
    "RowResult",
    "RowVerifier",
    "SqliteJobStore",
    "TooManyRows",
    "Verdict",
    "WorkerConfig",
    "escape_cell",
    "explain",
    "open_job_service",
    "open_job_store",
    "read_records",
    "read_rows",
]
