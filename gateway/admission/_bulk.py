"""Bulk-job rows through admission control: a slot per row, or the worker backs off.

Rows are the least critical work: :class:`AdmittedRowVerifier` asks for a bulk slot without
waiting; when refused (the gateway is shedding, interactive requests are waiting, or bulk rows
already use their share) the row is deferred with ``pause_worker`` so the whole worker stops
claiming for a moment instead of adding to the overload. The row was not sent anywhere, so the
deferral does not count as an attempt.
"""

from __future__ import annotations

from gateway.admission._controller import Shed
from gateway.admission._gate import Admission
from gateway.jobs import Deferral, JobSpec, RowInput, RowVerifier, Verdict

__all__ = ["AdmittedRowVerifier"]

_BACK_OFF_S = 2.0


class AdmittedRowVerifier:
    def __init__(self, inner: RowVerifier, admission: Admission) -> None:
        self._inner = inner
        self._admission = admission

    async def verify(self, job_id: str, spec: JobSpec, row: RowInput) -> Verdict | Deferral:
        controller = self._admission.controller
        try:
            controller.try_acquire_bulk()
        except Shed:
            self._admission.note_bulk_shed()
            return Deferral("overloaded", _BACK_OFF_S, pause_worker=True, counts_as_attempt=False)
        try:
            return await self._inner.verify(job_id, spec, row)
        finally:
            controller.release_bulk()
