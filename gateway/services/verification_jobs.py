"""The bulk-verification use cases that handle personal data: submit a register, read results.

Like a look-up, each runs inside :func:`~gateway.services.audited.run_audited` under the
inquiry's purpose (operations ``verify_batch_submit`` and ``verify_batch_results``); the rows
themselves are verified and audited one by one by the job worker (:mod:`gateway.jobs`). Job
errors are raised as they are: the one problem translation (:mod:`gateway.problems`) answers
them and names them in the audit record.
"""

from __future__ import annotations

from collections.abc import AsyncIterable

from adapters.ngsp import CallContext
from gateway.jobs import ColumnMap, Job, JobSpec
from gateway.runtime import Runtime
from gateway.services.audited import Answer, run_audited
from gateway.services.inquiry import Inquiry

__all__ = ["RESULT_FIELDS", "check_results", "job_spec", "submit"]

RESULT_FIELDS = ("row", "number", "outcome", "reason")


def job_spec(inquiry: Inquiry) -> JobSpec:
    """Who submits and why: every row is verified and audited under this purpose."""
    return JobSpec(
        client_id=inquiry.client.client_id,
        agency_code=inquiry.client.agency_code,
        purpose_code=inquiry.purpose.code,
        officer_id=inquiry.purpose.officer_id,
        case_id=inquiry.purpose.case_id,
        request_id=inquiry.context.request_id,
        trace_id=inquiry.context.trace.trace_id,
    )


async def submit(
    inquiry: Inquiry,
    runtime: Runtime,
    chunks: AsyncIterable[bytes],
    columns: ColumnMap,
    delimiter: str,
) -> Job:
    """Store the register as a new job (answered 202) and audit the submission."""
    submitted: list[Job] = []

    async def call(_ctx: CallContext) -> Answer:
        spec = job_spec(inquiry)
        submitted.append(await runtime.jobs.submit(spec, chunks, columns, delimiter))
        return Answer(b"", (), status=202)

    await run_audited(inquiry, runtime, call)
    [job] = submitted
    return job


async def check_results(inquiry: Inquiry, runtime: Runtime, job_id: str) -> None:
    """Audit the download of a job's results, refusing one that cannot be downloaded yet."""

    async def call(_ctx: CallContext) -> Answer:
        await runtime.jobs.results_of(inquiry.client.client_id, job_id)
        return Answer(b"", RESULT_FIELDS)

    await run_audited(inquiry, runtime, call)
