"""Bulk verification jobs for portals: submit a register, watch it, cancel it, download results.

Every route needs a client granted ``verify_batch``. Submitting and downloading handle personal
data, so they also need the purpose headers and are audited (``verify_batch_submit``,
``verify_batch_results``) like a look-up; every row the worker verifies is audited on its own
under the purpose given at submission (operation ``verify_batch``). Job errors are raised as they
are and answered by the one problem translation (``gateway.problems``); a client only ever sees
its own jobs. The user manual is ``docs/jobs.md``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from gateway.api.deps import CurrentClient, RuntimeDep, inquiry_for, require_operation
from gateway.errors import InvalidInput, UnsupportedMediaType, problem_responses
from gateway.jobs import DELIMITERS, ColumnMap, Job, JobList, JobView
from gateway.security.clients import Operation
from gateway.services import verification_jobs
from gateway.services.inquiry import Inquiry

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/verification-jobs",
    tags=["verification-jobs"],
    dependencies=[require_operation(Operation.VERIFY_BATCH)],  # type: ignore[list-item]
)

_CHUNK_BYTES = 64 * 1024
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/octet-stream"})


def _problems(*statuses: int) -> dict[int | str, dict[str, object]]:
    return problem_responses(401, 403, 422, 429, *sorted(set(statuses) - {422}))


def _json(job: Job, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = JobView.of(job).model_dump_json()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The job id.")]
Column = Annotated[
    str | None, Query(max_length=100, description="Header name of this field's column.")
]

_JOB_ID = {"job_id": "$response.body#/id"}
# OpenAPI links: how a client (or a stateful tester) reaches the job it just created.
_SUBMITTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: the job's state; `Location` is its URL.",
        "links": {
            name: {"operationId": operation, "parameters": _JOB_ID}
            for name, operation in (
                ("GetJob", "getVerificationJob"),
                ("CancelJob", "cancelVerificationJob"),
                ("GetResults", "getVerificationJobResults"),
                ("EraseJob", "eraseVerificationJob"),
            )
        },
    }
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The register: UTF-8 CSV (a BOM is fine) with a header line. Send it as "
        "the raw body (text/csv, streamed straight into the job) or as the `file` part of a "
        "multipart form.",
        "content": {
            "text/csv": {
                "schema": {"type": "string", "format": "binary"},
                "example": "number,full_name\n054092000123,Nguyễn Văn An\n",
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _form_file(request: Request) -> AsyncIterator[bytes]:
    async with request.form(max_files=1, max_fields=20) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("missing_file", "Send the register as the multipart part `file`.")
        while chunk := await upload.read(_CHUNK_BYTES):
            yield chunk


def _upload(request: Request) -> AsyncIterator[bytes]:
    """The uploaded bytes as a stream, whichever way they were sent."""
    media = _media_type(request)
    if media == "multipart/form-data":
        return _form_file(request)
    if media in _CSV_TYPES:
        return request.stream()
    raise UnsupportedMediaType(
        "unsupported_media_type", "Send text/csv as the body, or multipart/form-data with `file`."
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    columns: ColumnMap
    delimiter: str


def _layout(
    *,
    number_column: Column = None,
    full_name_column: Column = None,
    birth_date_column: Column = None,
    birth_year_column: Column = None,
    sex_column: Column = None,
    delimiter: Annotated[Literal[",", ";", "tab"], Query(description="Field separator.")] = ",",
) -> _Layout:
    """The column mapping from the query; a column named here must exist in the header."""
    given = {
        "number": number_column,
        "full_name": full_name_column,
        "birth_date": birth_date_column,
        "birth_year": birth_year_column,
        "sex": sex_column,
    }
    named = {field: name for field, name in given.items() if name}
    columns = ColumnMap(**named, required=frozenset({"number", *named}))
    return _Layout(columns, DELIMITERS[delimiter])


CsvLayout = Annotated[_Layout, Depends(_layout)]
SubmitInquiry = Annotated[Inquiry, inquiry_for("verify_batch_submit")]
ResultsInquiry = Annotated[Inquiry, inquiry_for("verify_batch_results")]


@router.post(
    "",
    status_code=202,
    summary="Submit a register (CSV) to verify against the national database",
    operation_id="submitVerificationJob",
    response_model=JobView,
    responses={**_SUBMITTED, **_problems(400, 413, 415, 422, 503)},
    openapi_extra=_UPLOAD_BODY,
)
async def submit_job(
    request: Request, inquiry: SubmitInquiry, runtime: RuntimeDep, layout: CsvLayout
) -> Response:
    """Accepted at once (202): the rows are verified in the background; watch the job's URL."""
    job = await verification_jobs.submit(
        inquiry, runtime, _upload(request), layout.columns, layout.delimiter
    )
    return _json(job, 202, {"Location": JobView.of(job).links.self})


@router.get(
    "",
    summary="This client's verification jobs, newest first (the last 100)",
    operation_id="listVerificationJobs",
    response_model=JobList,
    responses=_problems(503),
)
async def list_jobs(client: CurrentClient, runtime: RuntimeDep) -> Response:
    jobs = await runtime.jobs.jobs_of(client.client_id)
    body = JobList(jobs=[JobView.of(job) for job in jobs]).model_dump_json()
    return Response(body, media_type="application/json")


@router.get(
    "/{job_id}",
    summary="A job's state and progress (counts, rows per second, ETA)",
    operation_id="getVerificationJob",
    response_model=JobView,
    responses=_problems(404, 503),
)
async def get_job(job_id: JobId, client: CurrentClient, runtime: RuntimeDep) -> Response:
    return _json(await runtime.jobs.job_for(client.client_id, job_id))


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a job: rows not yet verified are reported as skipped",
    operation_id="cancelVerificationJob",
    response_model=JobView,
    responses=_problems(404, 409, 503),
)
async def cancel_job(job_id: JobId, client: CurrentClient, runtime: RuntimeDep) -> Response:
    return _json(await runtime.jobs.cancel(client.client_id, job_id))


@router.delete(
    "/{job_id}",
    status_code=204,
    summary="Erase a job's rows and results now (cancelling it if it still runs)",
    operation_id="eraseVerificationJob",
    responses=_problems(404, 409, 503),
)
async def erase_job(job_id: JobId, client: CurrentClient, runtime: RuntimeDep) -> Response:
    await runtime.jobs.erase(client.client_id, job_id)
    return Response(status_code=204)


@router.get(
    "/{job_id}/results",
    summary="The result file: one CSV line per input row (row, number, outcome, reason)",
    operation_id="getVerificationJobResults",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **_problems(404, 409, 410, 503)},
)
async def job_results(
    job_id: JobId, inquiry: ResultsInquiry, runtime: RuntimeDep
) -> StreamingResponse:
    """Streamed page by page; available once the job is completed or cancelled."""
    await verification_jobs.check_results(inquiry, runtime, job_id)
    return StreamingResponse(
        runtime.jobs.result_csv(job_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="verification-{job_id}.csv"'},
    )
