"""The jobs SQL both stores run, written once with ``?`` placeholders, and the row<->model mapping.

Tables (prefixed so they sit beside the audit trail's tables without clashing):
``verification_jobs`` (one row per job, its purpose and counters), ``verification_job_inputs``
(rows still to verify, with their lease; deleted once verified), ``verification_job_results``
(one row per input row once it has its outcome; primary key ``(job_id, ordinal)``) and
``verification_job_keys`` (the job's keys, :mod:`gateway.jobs._sealing`).

``now()`` is the time of the unit of work in both stores: PostgreSQL's own (the transaction's
start), and in SQLite a function the store registers that returns its clock read once per unit of
work, so one statement text serves both. What else differs is a token, spelled for each database
side by side in ``_SPELLINGS``: ``{seconds}`` (a bound number of seconds to add to a time),
``{for_update}`` and ``{skip_locked}`` (row locks, which SQLite's one writer does not need) and the
column types of :data:`SCHEMA`. A store renders a statement with its :class:`Dialect`'s
:meth:`~Dialect.render` (PostgreSQL's placeholders numbered by the audit trail's
:func:`~gateway.audit._sql.numbered`). Identifiers only ever come from the constants here, never
from input; values are always bound.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gateway.audit._sql import numbered
from gateway.jobs._model import Counts, Job, JobCensus, JobSpec, JobState, Outcome, RowResult
from gateway.jobs._sealing import JobKeys, KeyKind, new_key

if TYPE_CHECKING:
    from gateway.jobs._model import RowInput, RowKey

__all__ = [
    "ABANDONED",
    "ACTIVE_JOBS",
    "ADD_ROWS",
    "CANCELLED",
    "CENSUS",
    "COUNT_COLUMNS",
    "DELETE_INPUTS",
    "DELETE_JOB",
    "DELETE_RESULTS",
    "DESTROY_KEY",
    "EXPIRED",
    "EXTEND",
    "FINISH",
    "INPUT_COLUMNS",
    "INSERT_INPUT",
    "INSERT_JOB",
    "INSERT_KEY",
    "INSERT_RESULT",
    "JOB",
    "JOBS_OF",
    "JOB_COLUMNS",
    "KEYS",
    "LEASE",
    "LOCKED_JOB",
    "MARK_ERASED",
    "MARK_RUNNING",
    "POSTGRES",
    "QUEUE",
    "RELEASE",
    "RESULTS",
    "RESULT_COLUMNS",
    "SCHEMA",
    "SPEC_COLUMNS",
    "SQLITE",
    "Dialect",
    "add_counts",
    "census_from_rows",
    "counter_updates",
    "extend_rows",
    "input_values",
    "job_from_row",
    "job_keys",
    "job_values",
    "key_rows",
    "new_key_rows",
    "release_rows",
    "result_values",
    "results_from_rows",
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
INPUT_COLUMNS = ("job_id", "ordinal", "details", "number")
RESULT_COLUMNS = ("job_id", "ordinal", "number", "outcome", "reason")
_OUTCOMES = tuple(outcome.value for outcome in Outcome)
_DONE_SUM = " + ".join(_OUTCOMES)


class Dialect:
    """One database's spelling of the statements here: its tokens and whether it numbers ``?``."""

    def __init__(self, tokens: Mapping[str, str], *, numbered_marks: bool) -> None:
        self._tokens = dict(tokens)
        self._numbered_marks = numbered_marks  # PostgreSQL writes its placeholders $1, $2, ...
        self._rendered: dict[str, str] = {}

    def render(self, statement: str) -> str:
        """``statement`` with this dialect's tokens filled in and its placeholders numbered."""
        text = self._rendered.get(statement)
        if text is None:
            text = statement.format_map(self._tokens)
            text = numbered(text) if self._numbered_marks else text
            self._rendered[statement] = text
        return text


# What the two databases spell differently, side by side: token -> (SQLite, PostgreSQL).
_SPELLINGS = {
    "seconds": ("?", "make_interval(secs => ?)"),  # a bound number of seconds, added to a time
    # SQLite's BEGIN IMMEDIATE already makes one connection the only writer: no row locks.
    "for_update": ("", " FOR UPDATE"),
    "skip_locked": ("", " FOR UPDATE SKIP LOCKED"),  # two claims never wait for each other
    "text": ("TEXT", "text"),
    "bigint": ("INTEGER", "bigint"),
    "integer": ("INTEGER", "integer"),
    "moment": ("REAL", "timestamptz"),  # SQLite: seconds since 1970 (UTC)
    "blob": ("BLOB", "bytea"),
    "created_default": ("", " DEFAULT now()"),
    "never": ("0", "'epoch'"),  # the lease end of a row nobody has claimed yet
    "without_rowid": (" WITHOUT ROWID", ""),
}
SQLITE = Dialect({token: pair[0] for token, pair in _SPELLINGS.items()}, numbered_marks=False)
POSTGRES = Dialect({token: pair[1] for token, pair in _SPELLINGS.items()}, numbered_marks=True)


# Column types are tokens (``_SPELLINGS``): each database gets the tables its store always made.
SCHEMA = """
CREATE TABLE IF NOT EXISTS verification_jobs (
    id {text} PRIMARY KEY,
    client_id {text} NOT NULL,
    agency_code {text},
    purpose_code {text} NOT NULL,
    officer_id {text} NOT NULL,
    case_id {text},
    request_id {text},
    trace_id {text},
    state {text} NOT NULL,
    total {bigint} NOT NULL DEFAULT 0,
    matched {bigint} NOT NULL DEFAULT 0,
    mismatched {bigint} NOT NULL DEFAULT 0,
    not_found {bigint} NOT NULL DEFAULT 0,
    invalid {bigint} NOT NULL DEFAULT 0,
    failed {bigint} NOT NULL DEFAULT 0,
    skipped {bigint} NOT NULL DEFAULT 0,
    created_at {moment} NOT NULL{created_default},
    started_at {moment},
    finished_at {moment},
    erased_at {moment}
);
CREATE INDEX IF NOT EXISTS verification_jobs_by_client
    ON verification_jobs (client_id, created_at);
CREATE INDEX IF NOT EXISTS verification_jobs_by_state
    ON verification_jobs (state, created_at);
CREATE TABLE IF NOT EXISTS verification_job_inputs (
    job_id {text} NOT NULL,
    ordinal {bigint} NOT NULL,
    details {blob} NOT NULL,
    number {blob} NOT NULL,
    attempts {integer} NOT NULL DEFAULT 0,
    claim_id {text},
    lease_until {moment} NOT NULL DEFAULT {never},
    PRIMARY KEY (job_id, ordinal)
){without_rowid};
CREATE TABLE IF NOT EXISTS verification_job_results (
    job_id {text} NOT NULL,
    ordinal {bigint} NOT NULL,
    number {blob} NOT NULL,
    outcome {text} NOT NULL,
    reason {text} NOT NULL,
    PRIMARY KEY (job_id, ordinal)
){without_rowid};
CREATE TABLE IF NOT EXISTS verification_job_keys (
    job_id {text} NOT NULL,
    kind {text} NOT NULL,
    key {blob} NOT NULL,
    PRIMARY KEY (job_id, kind)
);
"""


def _insert(table: str, columns: Sequence[str], values: str | None = None) -> str:
    marks = values or ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 -- constants


# --- jobs ------------------------------------------------------------------------------------

_SELECT_JOBS = f"SELECT {', '.join(JOB_COLUMNS)} FROM verification_jobs"  # noqa: S608 -- constants
JOB = f"{_SELECT_JOBS} WHERE id = ?"
LOCKED_JOB = JOB + "{for_update}"  # serialises changes to one job's rows and counters
JOBS_OF = f"{_SELECT_JOBS} WHERE client_id = ? ORDER BY created_at DESC, id LIMIT ?"
ACTIVE_JOBS = f"{_SELECT_JOBS} WHERE state IN ('queued', 'running') ORDER BY created_at, id"
INSERT_JOB = _insert(
    "verification_jobs",
    ("id", *SPEC_COLUMNS, "state", "created_at"),
    ", ".join(["?"] * (1 + len(SPEC_COLUMNS)) + ["'receiving'", "now()"]),
)
ADD_ROWS = "UPDATE verification_jobs SET total = total + ?, invalid = invalid + ? WHERE id = ?"
QUEUE = "UPDATE verification_jobs SET state = 'queued' WHERE id = ? AND state = 'receiving'"
MARK_RUNNING = (
    "UPDATE verification_jobs SET state = 'running', started_at = now()"
    " WHERE id = ? AND state = 'queued'"
)
FINISH = (  # a job every row of which has its outcome; RETURNING says whether it was this one
    "UPDATE verification_jobs SET state = 'completed', finished_at = now()"  # noqa: S608
    f" WHERE id = ? AND state IN ('queued', 'running') AND total = {_DONE_SUM} RETURNING id"
)
CANCELLED = (
    "UPDATE verification_jobs SET state = 'cancelled', finished_at = now(),"
    " skipped = skipped + ? WHERE id = ?"
)
MARK_ERASED = "UPDATE verification_jobs SET erased_at = now() WHERE id = ? AND erased_at IS NULL"
DELETE_JOB = "DELETE FROM verification_jobs WHERE id = ?"
EXPIRED = (
    "SELECT id FROM verification_jobs WHERE finished_at < ? AND erased_at IS NULL"
    " ORDER BY id{for_update}"
)
ABANDONED = (
    "SELECT id FROM verification_jobs WHERE state = 'receiving' AND created_at < ?"
    " ORDER BY id{for_update}"
)
CENSUS = (
    f"SELECT state, COUNT(*), {', '.join(f'SUM({o})' for o in _OUTCOMES)},"  # noqa: S608
    " MIN(started_at) FROM verification_jobs WHERE erased_at IS NULL GROUP BY state"
)

# --- rows --------------------------------------------------------------------------------------

INSERT_INPUT = _insert("verification_job_inputs", INPUT_COLUMNS)
INSERT_RESULT = _insert("verification_job_results", RESULT_COLUMNS)
LEASE = (  # parameters: job, limit, claim, lease seconds, job
    "WITH picked AS (SELECT ordinal FROM verification_job_inputs"
    " WHERE job_id = ? AND lease_until < now() ORDER BY ordinal LIMIT ?{skip_locked})"
    " UPDATE verification_job_inputs SET claim_id = ?, lease_until = now() + {seconds}"
    " WHERE job_id = ? AND ordinal IN (SELECT ordinal FROM picked)"
    " RETURNING ordinal, details, attempts"
)
EXTEND = (  # parameters: seconds, then the claimed row's job, ordinal and claim
    "UPDATE verification_job_inputs SET lease_until = now() + {seconds}"
    " WHERE job_id = ? AND ordinal = ? AND claim_id = ?"
)
RELEASE = (  # parameters: seconds, attempts to add, then the claimed row's job, ordinal, claim
    "UPDATE verification_job_inputs SET claim_id = NULL, lease_until = now() + {seconds},"
    " attempts = attempts + ? WHERE job_id = ? AND ordinal = ? AND claim_id = ?"
)
RESULTS = (
    "SELECT ordinal, number, outcome, reason FROM verification_job_results"
    " WHERE job_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?"
)
DELETE_INPUTS = "DELETE FROM verification_job_inputs WHERE job_id = ?"
DELETE_RESULTS = "DELETE FROM verification_job_results WHERE job_id = ?"

# --- keys --------------------------------------------------------------------------------------

INSERT_KEY = _insert("verification_job_keys", ("job_id", "kind", "key"))
KEYS = "SELECT kind, key FROM verification_job_keys WHERE job_id = ?"
DESTROY_KEY = "DELETE FROM verification_job_keys WHERE job_id = ? AND kind = ?"


def add_counts(tally: Mapping[str, int]) -> str:
    """The statement adding ``tally``'s counts to a job (parameters: the counts, then the id)."""
    # Column names come from the Outcome enum only (counter_updates validates them).
    assignments = ", ".join(f"{outcome} = {outcome} + ?" for outcome in tally)
    return f"UPDATE verification_jobs SET {assignments} WHERE id = ?"  # noqa: S608


# --- values and rows ---------------------------------------------------------------------------


def job_values(job_id: str, spec: JobSpec) -> tuple[object, ...]:
    """The parameters of :data:`INSERT_JOB`."""
    return (job_id, *(getattr(spec, name) for name in SPEC_COLUMNS))


def new_key_rows(job_id: str) -> list[tuple[str, str, bytes]]:
    """Fresh keys of every kind for a new job, as :data:`INSERT_KEY` rows."""
    return [(job_id, kind.value, new_key()) for kind in KeyKind]


def key_rows(job_id: str, kinds: Iterable[KeyKind]) -> list[tuple[str, str]]:
    """The parameters of :data:`DESTROY_KEY` (or a store's own overwrite) for these kinds."""
    return [(job_id, kind.value) for kind in kinds]


def job_keys(job_id: str, rows: Iterable[Sequence[Any]]) -> JobKeys:
    """The job's keys from :data:`KEYS`'s rows (a destroyed kind is None)."""
    found = {kind: bytes(key) for kind, key in rows}
    return JobKeys(job_id, found.get(KeyKind.INPUTS.value), found.get(KeyKind.RESULTS.value))


def extend_rows(keys: Iterable[RowKey], lease_s: float) -> list[tuple[object, ...]]:
    """The parameters of :data:`EXTEND`, one tuple a claimed row."""
    return [(lease_s, k.job_id, k.ordinal, k.claim_id) for k in keys]


def release_rows(
    keys: Iterable[RowKey], delay_s: float, *, count_attempt: bool
) -> list[tuple[object, ...]]:
    """The parameters of :data:`RELEASE`, one tuple a claimed row."""
    tries = int(count_attempt)
    return [(delay_s, tries, k.job_id, k.ordinal, k.claim_id) for k in keys]


def input_values(keys: JobKeys, row: RowInput) -> tuple[object, ...]:
    """One input row in :data:`INPUT_COLUMNS` order, its details and number sealed."""
    number = keys.seal_number(row.ordinal, row.number)
    return (keys.job_id, row.ordinal, keys.seal_details(row), number)


def result_values(keys: JobKeys, result: RowResult) -> tuple[object, ...]:
    """One result in :data:`RESULT_COLUMNS` order, its number sealed."""
    sealed = keys.seal_number(result.ordinal, result.number)
    return (keys.job_id, result.ordinal, sealed, result.outcome.value, result.reason)


def results_from_rows(keys: JobKeys, rows: Iterable[Sequence[Any]]) -> list[RowResult]:
    """Results from :data:`RESULTS`'s rows, their numbers opened."""
    return [
        RowResult(ordinal, keys.open_number(ordinal, number), Outcome(outcome), reason)
        for ordinal, number, outcome, reason in rows
    ]


def census_from_rows(
    rows: Iterable[Sequence[Any]], moment: Callable[[Any], datetime | None]
) -> JobCensus:
    """A census from :data:`CENSUS`'s rows; ``moment`` reads a stored time."""
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
