"""What a reader asks for: filters, one page of answers, and the cursor to the next page.

Pages are keyset-paginated on the store key ``id`` (commit order), so a page costs the same at
any depth and a cursor stays valid while new records arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from gateway.audit._errors import AuditQueryError
from gateway.audit._model import AuditRecord

__all__ = ["MAX_CURSOR", "MAX_PAGE", "AuditPage", "AuditQuery", "SubjectQuery", "page_of"]

MAX_PAGE = 1000
# Cursors are row ids: both stores keep them in a signed 64-bit column, so a larger number is
# not a position at all (and would overflow the database driver instead of matching nothing).
MAX_CURSOR = 2**63 - 1


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters that all must hold; ``None`` means "any". ``until`` is exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    client_id: str | None = None
    agency_code: str | None = None
    officer_id: str | None = None
    purpose_code: str | None = None
    operation: str | None = None
    outcome: str | None = None
    request_id: str | None = None
    subject_hmac: str | None = None

    def __post_init__(self) -> None:
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise AuditQueryError("search times must carry a timezone (UTC if unsure)")
        if self.since and self.until and self.since >= self.until:
            raise AuditQueryError("'since' must be earlier than 'until'")

    def equalities(self) -> list[tuple[str, str]]:
        """The ``column = value`` filters that are set, in a fixed order."""
        return [
            (field.name, value)
            for field in fields(self)
            if field.name not in ("since", "until", "legacy_subject_hmacs")
            and (value := getattr(self, field.name)) is not None
        ]


@dataclass(frozen=True, slots=True)
class SubjectQuery(AuditQuery):
    """A citizen's records: ``subject_hmac`` anywhere in a record, and also legacy records asked
    under ``legacy_subject_hmacs`` (the same person's other numbers)."""

    legacy_subject_hmacs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of records; pass ``next_cursor`` back to get the next one (None: no more)."""

    records: tuple[AuditRecord, ...]
    next_cursor: int | None


def page_of(records: list[AuditRecord], limit: int) -> AuditPage:
    full = len(records) == limit and records
    return AuditPage(tuple(records), records[-1].id if full else None)
