"""Keys and sealing: how an event becomes a chained record, and how a record is checked.

One configured secret gives two derived keys, so a subject hash can never stand in for a chain MAC:

- the *subject key* makes ``subject_hmac`` = HMAC-SHA256(number), for the number asked and for
  every data subject of the answer: "who looked up X" works with X kept out of the store, and
  nobody without the key can test guesses against the 10⁹-10¹² space;
- the *chain key* makes each record's ``hash`` = HMAC-SHA256(prev_hash ‖ canonical values). Keyed,
  not a bare SHA-256, so someone who can write to the database still cannot forge a consistent
  chain after editing a row.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import orjson

from contracts.ids import mask_number
from gateway.audit._errors import AuditConfigError
from gateway.audit._model import (
    Anchor,
    AuditEvent,
    AuditRecord,
    ChainHead,
    Disclosure,
    RecordSubject,
)

__all__ = ["MIN_KEY_BYTES", "AuditKeys", "disclosures", "seal_batch"]

MIN_KEY_BYTES = 16


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.digest(secret, b"lgsp-audit/" + purpose, "sha256")


class AuditKeys:
    """The subject key and the chain key, derived once from the configured HMAC secret."""

    __slots__ = ("_chain", "_subject")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise AuditConfigError(f"the audit HMAC key needs at least {MIN_KEY_BYTES} bytes")
        self._subject = _derive(secret, b"subject/v1")
        self._chain = _derive(secret, b"chain/v1")

    def subject_digest(self, number: str) -> str:
        return hmac.digest(self._subject, number.encode(), "sha256").hex()

    def record_mac(self, record: AuditRecord) -> str:
        return self._mac(record.prev_hash, record.chained_values())

    def anchor_mac(self, anchor: Anchor) -> str:
        return self._mac("", anchor.sealed_values())

    def _mac(self, prefix: str, values: list[Any]) -> str:
        message = prefix.encode() + b"\n" + orjson.dumps(values)
        return hmac.digest(self._chain, message, "sha256").hex()


def seal_batch(
    events: Sequence[AuditEvent], head: ChainHead, writer_id: str, keys: AuditKeys
) -> list[AuditRecord]:
    """Turn events into records that continue the chain at ``head``, in order."""
    records: list[AuditRecord] = []
    for event in events:
        record = _seal(event, head, writer_id, keys)
        head = ChainHead(record.seq, record.hash)
        records.append(record)
    return records


def _seal(event: AuditEvent, head: ChainHead, writer_id: str, keys: AuditKeys) -> AuditRecord:
    number = event.subject_number
    record = AuditRecord(
        writer_id=writer_id,
        seq=head.seq + 1,
        occurred_at=event.occurred_at.astimezone(UTC),
        request_id=event.request_id,
        client_id=event.client_id,
        agency_code=event.agency_code,
        officer_id=event.officer_id,
        purpose_code=event.purpose_code,
        case_id=event.case_id,
        operation=event.operation,
        subject_hmac=None if number is None else keys.subject_digest(number),
        subject_masked=None if number is None else mask_number(number),
        outcome=event.outcome,
        status=event.status,
        problem_code=event.problem_code,
        upstream_attempts=event.upstream_attempts,
        latency_ms=round(event.latency_ms, 3),
        fields_returned=tuple(event.fields_returned),
        trace_id=event.trace_id,
        prev_hash=head.hash,
        hash="",
        subjects=tuple(_stored(d, keys) for d in disclosures(event)),
    )
    # Sealing completes the construction of a frozen record (cheaper than a second copy).
    object.__setattr__(record, "hash", keys.record_mac(record))
    return record


def disclosures(event: AuditEvent) -> list[Disclosure]:
    """Every number the event's answer was about, once each, the number asked first.

    The number asked is always there (a not-found answer still confirms that nobody holds it);
    when the request path did not describe it, it is the subject of what the answer returned.
    """
    by_number: dict[str, Disclosure] = {}
    asked = event.subject_number
    if asked is not None:
        described = next((d for d in event.disclosed if d.number == asked), None)
        by_number[asked] = described or Disclosure(asked, "subject", event.fields_returned)
    for disclosure in event.disclosed:
        by_number.setdefault(disclosure.number, disclosure)
    return list(by_number.values())


def _stored(disclosure: Disclosure, keys: AuditKeys) -> RecordSubject:
    number = disclosure.number
    return RecordSubject(
        hmac=keys.subject_digest(number),
        masked=mask_number(number),
        role=disclosure.role,
        relation=disclosure.relation,
        fields=tuple(disclosure.fields),
    )
