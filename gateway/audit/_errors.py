"""The audit trail's exception tree: every way recording or reading the trail can fail.

Store-level errors (``sqlite3.Error``, asyncpg and socket errors) are translated in the store
modules with ``raise ... from exc`` so nothing above a store sees a driver exception::

    AuditError                  base of every audit failure
    ├── AuditUnavailable        cannot record or read now: store down, queue full, writer
    │                           stopped, commit timed out, a table of the schema dropped
    │                           (``reason``); the gateway answers 503
    ├── AuditConfigError        bad DSN, key or writer id; schema newer than this code
    └── AuditQueryError         bad reading input: unknown number format, export file exists,
                                purge refused because the chain does not verify

A failed ``verify`` is not an exception: it is a :class:`~gateway.audit.VerifyReport` whose
``ok`` is false, because finding tampering is the command doing its job.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AuditConfigError",
    "AuditError",
    "AuditQueryError",
    "AuditUnavailable",
    "UnavailableReason",
]

UnavailableReason = Literal[
    "store_error", "queue_full", "writer_stopped", "timeout", "chain_conflict", "schema_damaged"
]


class AuditError(Exception):
    """Base of every audit failure."""


class AuditUnavailable(AuditError):
    """The trail cannot durably record now, so nothing may be served (fail closed → 503)."""

    def __init__(self, reason: UnavailableReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: UnavailableReason = reason
        self.detail = detail


class AuditConfigError(AuditError, ValueError):
    """The trail was configured with something it cannot use."""


class AuditQueryError(AuditError, ValueError):
    """A reading request (search, subject, export, purge) cannot be carried out as asked."""
