"""The typed inquiry every personal-data use case starts from, built once by the dependencies.

An :class:`Inquiry` says who asks (client), why (purpose), what (operation) and about whom (the
number as sent, and its parse: the validated :class:`~contracts.ids.CitizenNumber` with its
kind, or why it is not one). A bad number is kept, not raised, because the gateway audits
refused look-ups too: the use case raises it inside the audited call (:meth:`Inquiry.subject`).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.ids import CitizenNumber, InvalidNumber, parse_number
from gateway.context import RequestContext
from gateway.errors import InvalidInput
from gateway.security.clients import ClientRecord

__all__ = ["Inquiry", "Purpose"]


@dataclass(frozen=True, slots=True)
class Purpose:
    """The purpose headers of a data call, already checked against their rules."""

    code: str
    officer_id: str
    case_id: str | None


@dataclass(frozen=True, slots=True)
class Inquiry:
    context: RequestContext
    client: ClientRecord
    purpose: Purpose
    operation: str
    asked: str | None = None  # the number as sent: what the audit record names
    number: CitizenNumber | None = None
    invalid: InvalidNumber | None = None

    @classmethod
    def about(
        cls,
        context: RequestContext,
        client: ClientRecord,
        purpose: Purpose,
        operation: str,
        asked: str,
    ) -> Inquiry:
        """An inquiry about the citizen numbered ``asked``, parsed once here."""
        try:
            return cls(context, client, purpose, operation, asked, number=parse_number(asked))
        except InvalidNumber as exc:
            return cls(context, client, purpose, operation, asked, invalid=exc)

    def subject(self) -> CitizenNumber:
        """The validated number, or the 422 its parse found (raised inside the audited call)."""
        if self.number is not None:
            return self.number
        if self.invalid is not None:
            raise InvalidInput(self.invalid.code, self.invalid.detail) from self.invalid
        raise LookupError(f"{self.operation} names no citizen number")  # a defect, not input
