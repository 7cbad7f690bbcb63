"""The Data Tracker view: every record that disclosed anything about one citizen, and in what role.

A record names a citizen when its number asked is theirs or when its subjects list one of their
numbers (the answer's other number for the same person, a household member, a relative named in
the record). Records written before subjects were kept (``legacy``) know only the number asked:
a look-up made under a person's other number, or one that disclosed them as a household member
or relative, cannot be found from them. :attr:`SubjectReport.legacy_until` says how far back
that blind spot reaches, so a report never claims a completeness it does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.audit._model import AuditRecord, utc_iso
from gateway.audit._query import AuditPage

__all__ = [
    "HISTORY_FIELD",
    "LEGACY_NOTE",
    "SUBJECT_VIEW",
    "SubjectEntry",
    "SubjectReport",
    "same_person",
    "subject_report",
]

SUBJECT_VIEW = "audit.subject_view"
"""The operation an auditor's read of one citizen's history is recorded as: showing who processed
someone's data, when and why is itself processing of it (Decree 13/2023)."""
HISTORY_FIELD = "audit_history"
"""What such a view discloses about the citizen: their processing history, nothing else."""

LEGACY_NOTE = (
    "records written before {until} know only the number asked: for that period, look-ups of "
    "this person as a household member or relative are not found, nor look-ups under their other "
    "number unless a later record names both numbers"
)


@dataclass(frozen=True, slots=True)
class SubjectEntry:
    """One record about the citizen, with what it disclosed about them and in which role."""

    record: AuditRecord
    role: str
    relation: str | None
    fields: tuple[str, ...]

    @property
    def legacy(self) -> bool:
        return self.record.legacy

    def to_dict(self) -> dict[str, Any]:
        """The record (as exported) and ``disclosed``: what it told about this citizen."""
        disclosed = {"role": self.role, "relation": self.relation, "fields": list(self.fields)}
        return {**self.record.to_dict(), "disclosed": {**disclosed, "legacy": self.legacy}}


@dataclass(frozen=True, slots=True)
class SubjectReport:
    """One page of a citizen's records, newest first, and how far back the view is partial."""

    entries: tuple[SubjectEntry, ...]
    next_cursor: int | None
    legacy_until: datetime | None

    @property
    def records(self) -> tuple[AuditRecord, ...]:
        return tuple(entry.record for entry in self.entries)

    @property
    def reaches_legacy_records(self) -> bool:
        """The trail still holds records from before subjects were kept: see :data:`LEGACY_NOTE`."""
        return self.legacy_until is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": [entry.to_dict() for entry in self.entries],
            "next_cursor": self.next_cursor,
            "reaches_legacy_records": self.reaches_legacy_records,
            "legacy_until": None if self.legacy_until is None else utc_iso(self.legacy_until),
            "note": self.note,
        }

    @property
    def note(self) -> str | None:
        if self.legacy_until is None:
            return None
        return LEGACY_NOTE.format(until=self.legacy_until.isoformat(timespec="seconds"))


def subject_report(page: AuditPage, digest: str, legacy_until: datetime | None) -> SubjectReport:
    entries = tuple(_entry(record, digest) for record in page.records)
    return SubjectReport(entries, page.next_cursor, legacy_until)


def _entry(record: AuditRecord, digest: str) -> SubjectEntry:
    for subject in record.subjects or ():
        if subject.hmac == digest:
            return SubjectEntry(record, subject.role, subject.relation, subject.fields)
    # a legacy record is found only by its number asked: it disclosed what it returned
    return SubjectEntry(record, "subject", None, record.fields_returned)


def same_person(record: AuditRecord, digest: str) -> set[str]:
    """The other numbers (keyed hashes) ``record`` gives the person behind ``digest``.

    Every ``subject`` entry of one record is the one person asked about (under each of their
    numbers), so when ``digest`` is one of them, the others are that person's other numbers.
    """
    asked = {s.hmac for s in record.subjects or () if s.role == "subject"}
    return asked - {digest} if digest in asked else set()
