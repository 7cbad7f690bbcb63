"""The audit trail for auditors over HTTP: ``/api/v1/audit/...`` (grant ``audit_read``).

Search by time, client, officer, purpose, operation and outcome, and the Data Tracker view of one
citizen ("who looked this number up, when, why"), both paginated with an opaque cursor. Records
carry masked numbers and their keyed hashes, never a number itself. Showing a citizen's history
is itself processing of their data, so the view is audited like a look-up (:func:`run_audited`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from adapters.ngsp import CallContext
from contracts.ids import NUMBER_PATTERN
from gateway.api.deps import Context, CurrentClient, RuntimeDep, require_operation
from gateway.audit import (
    HISTORY_FIELD,
    MAX_CURSOR,
    SUBJECT_VIEW,
    AuditOutcome,
    AuditPage,
    AuditQuery,
    AuditRecord,
    SubjectReport,
)
from gateway.context import RequestContext
from gateway.errors import problem_responses
from gateway.security.clients import ClientRecord, Operation
from gateway.services.audited import Answer, run_audited
from gateway.services.inquiry import Inquiry, Purpose

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/audit",
    tags=["audit"],
    dependencies=[require_operation(Operation.AUDIT_READ)],  # type: ignore[list-item]
    responses=problem_responses(
        401,
        403,
        422,
        429,
        503,
        descriptions={
            403: "The client is not granted audit_read.",
            503: "The audit store is unavailable.",
        },
    ),
)


class AuditPageOut(BaseModel):
    records: list[dict[str, Any]]
    next_cursor: int | None


class SubjectPageOut(BaseModel):
    records: list[dict[str, Any]] = Field(
        description="Newest first; each record's `disclosed` says in which role (subject, "
        "household_member, relative) it disclosed which fields about this citizen."
    )
    next_cursor: int | None
    reaches_legacy_records: bool = Field(
        description="The trail holds records written before every data subject was kept: "
        "for them only look-ups under this exact number, as the subject asked about, are found."
    )
    legacy_until: str | None = Field(description="When the newest such record was written.")
    note: str | None = Field(description="The same, in words, for people.")


def _record(record: AuditRecord) -> dict[str, Any]:
    return record.to_dict()


def _page(page: AuditPage) -> AuditPageOut:
    return AuditPageOut(records=[_record(r) for r in page.records], next_cursor=page.next_cursor)


def _iso_text(value: object) -> object:
    """Refuse what pydantic would otherwise read as a date: a bare number is a Unix time to it,
    but the contract says ISO 8601 (``format: date-time``)."""
    if isinstance(value, str) and not value.strip().lstrip("+-").replace(".", "").isdigit():
        return value
    raise ValueError("an ISO 8601 date-time with a timezone, e.g. 2026-11-30T08:00:00Z")


Limit = Annotated[int, Query(ge=1, le=1000, description="Records per page.")]
# A cursor is a row id: a 64-bit integer in both stores (a larger one overflowed SQLite: 500).
Cursor = Annotated[
    int | None, Query(ge=0, le=MAX_CURSOR, description="next_cursor of the previous page.")
]
Moment = Annotated[
    datetime | None,
    BeforeValidator(_iso_text),
    Query(description="ISO 8601 with a timezone; `since` must be earlier than `until`."),
]
SubjectNumber = Annotated[
    str,
    Path(
        description="The citizen's 12-digit personal id or 9-digit CMND.",
        json_schema_extra={"pattern": NUMBER_PATTERN},  # checked by the reader's parse_number
    ),
]


@router.get(
    "/records",
    summary="Search the audit trail",
    operation_id="searchAuditRecords",
    response_model=AuditPageOut,
)
async def search_records(
    runtime: RuntimeDep,
    *,
    since: Moment = None,
    until: Moment = None,
    client_id: str | None = None,
    officer_id: str | None = None,
    purpose_code: str | None = None,
    operation: str | None = None,
    outcome: AuditOutcome | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditPageOut:
    """Newest first; ``since``/``until``: ISO 8601 with a timezone, ``until`` exclusive."""
    query = AuditQuery(
        since=since,
        until=until,
        client_id=client_id,
        officer_id=officer_id,
        purpose_code=purpose_code,
        operation=operation,
        outcome=outcome,
    )  # a bad query raises AuditQueryError: 422 invalid_audit_query (gateway.problems)
    return _page(await runtime.audit_reader.search(query, limit=limit, cursor=cursor))


@router.get(
    "/subjects/{number}",
    summary="Every disclosure of this citizen: who, when, why, what and in which role",
    operation_id="getAuditSubjectRecords",
    response_model=SubjectPageOut,
)
async def subject_records(
    number: SubjectNumber,
    runtime: RuntimeDep,
    context: Context,
    client: CurrentClient,
    *,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SubjectPageOut:
    """``number`` is either of the person's numbers (12-digit id or 9-digit CMND): each finds
    the look-ups made under the other one too, and the answers that named them as a household
    member or relative. The view is recorded under ``number`` before the answer leaves; when the
    trail cannot take that record, the auditor gets 503 and no history."""
    viewed: list[SubjectReport] = []

    async def view(_: CallContext) -> Answer:
        viewed.append(await runtime.audit_reader.subject(number, limit=limit, cursor=cursor))
        return Answer(b"", (HISTORY_FIELD,))

    await run_audited(_subject_view(context, client, number), runtime, view)
    return SubjectPageOut(**viewed[0].to_dict())


def _subject_view(context: RequestContext, client: ClientRecord, number: str) -> Inquiry:
    """The inquiry an auditor's view of one citizen is audited as. An auditor sends no purpose
    headers: the grant is the purpose, and the auditor client stands as the officer."""
    purpose = Purpose(Operation.AUDIT_READ.value, client.client_id, None)
    return Inquiry(context, client, purpose, SUBJECT_VIEW, asked=number)
