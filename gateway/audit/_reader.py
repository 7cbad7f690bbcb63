"""The reading side, for auditors and citizens: search, subject look-up, export, verify, purge.

Used by ``lgsp audit`` and the auditor HTTP API alike. It opens its own store connection, so
reading never waits behind the writer's commits (SQLite WAL readers do not block the writer).
A short-lived command that must leave one record of what it read (``lgsp audit subject``) writes
it through :meth:`AuditReader.record_once`, on a chain of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from contracts.ids import InvalidNumber, parse_number
from gateway.audit._checkpoint import CheckpointLog
from gateway.audit._checkpointer import sign_head
from gateway.audit._completeness import check_completeness
from gateway.audit._errors import AuditQueryError
from gateway.audit._evidence import write_evidence
from gateway.audit._export import ExportFormat, write_export
from gateway.audit._lifecycle import Bracketed
from gateway.audit._model import AuditEvent, AuditRecord, ChainHead
from gateway.audit._purge import PurgeReport, purge_before
from gateway.audit._query import (
    MAX_CURSOR,
    MAX_PAGE,
    AuditPage,
    AuditQuery,
    SubjectQuery,
    page_of,
)
from gateway.audit._seal import AuditKeys, seal_batch
from gateway.audit._signing import CheckpointSigner, TrustedKeys
from gateway.audit._store import AuditStore, chain_head, iter_chain
from gateway.audit._subjects import SubjectReport, same_person, subject_report
from gateway.audit._verify import VerifyReport, verify_chain

__all__ = ["AuditReader"]

_LINKS_READ = 200  # newest records about a person read for their other number


class AuditReader(Bracketed):
    """Reads (and purges) the trail. Use ``async with`` or :meth:`open` / :meth:`close`."""

    def __init__(
        self,
        store: AuditStore,
        keys: AuditKeys,
        *,
        checkpoints: CheckpointLog | None = None,
        signer: CheckpointSigner | None = None,
        trusted: TrustedKeys | None = None,
    ) -> None:
        self._store = store
        self._keys = keys
        self._checkpoints = checkpoints  # None: completeness is not checked
        self._signer = signer  # signs purge checkpoints
        trusted = trusted or TrustedKeys([])
        self._trusted = trusted.with_key(signer.public_key) if signer is not None else trusted

    @property
    def checkpoints(self) -> CheckpointLog | None:
        return self._checkpoints

    async def begin(self) -> None:
        await self.open()

    async def open(self) -> None:
        await self._store.open()

    async def close(self) -> None:
        await self._store.close()

    def subject_digest(self, number: str) -> str:
        """The keyed hash under which a citizen's number is stored."""
        try:
            parse_number(number)
        except InvalidNumber as exc:
            raise AuditQueryError(f"not a citizen number: {exc.detail}") from exc
        return self._keys.subject_digest(number)

    async def search(
        self,
        query: AuditQuery | None = None,
        *,
        limit: int = 50,
        cursor: int | None = None,
        newest_first: bool = True,
    ) -> AuditPage:
        """One page of the records matching ``query``."""
        if not 1 <= limit <= MAX_PAGE:
            raise AuditQueryError(f"limit must be between 1 and {MAX_PAGE}")
        if cursor is not None and not 0 <= cursor <= MAX_CURSOR:
            raise AuditQueryError(f"cursor must be between 0 and {MAX_CURSOR}")
        records = await self._store.search(
            query or AuditQuery(), cursor=cursor, newest_first=newest_first, limit=limit
        )
        return page_of(records, limit)

    async def key_matches(self, sample: int = 5) -> bool | None:
        """Whether this reader's HMAC key sealed the trail: None when the trail is empty.

        A reader with another key finds nobody under any number and says so without error: "no
        one looked this citizen up" would be a false answer. The newest records are sampled; a
        key that verifies none of them is not the trail's key (a tampered record alone would
        leave the others verifying, and ``verify`` is what reports tampering).
        """
        newest = await self._store.search(
            AuditQuery(), cursor=None, newest_first=True, limit=sample
        )
        if not newest:
            return None
        return any(self._keys.record_mac(record) == record.hash for record in newest)

    async def subject(
        self, number: str, *, limit: int = 50, cursor: int | None = None
    ) -> SubjectReport:
        """Who looked this citizen up, when, why and what they saw: newest first (the Data Tracker
        view). ``number`` is either of the person's numbers; each finds every record that
        disclosed anything about its holder since subjects were kept."""
        digest = self.subject_digest(number)
        legacy_until = await self._store.legacy_until()
        others = await self._other_numbers(digest) if legacy_until is not None else ()
        query = SubjectQuery(subject_hmac=digest, legacy_subject_hmacs=others)
        page = await self.search(query, limit=limit, cursor=cursor)
        return subject_report(page, digest, legacy_until)

    async def _other_numbers(self, digest: str) -> tuple[str, ...]:
        """The person's other numbers (as keyed hashes) that newer records tie to ``digest``.

        A legacy record knows only the number asked; once a newer record names both of a
        person's numbers, legacy look-ups under either are found by both.
        """
        page = await self.search(AuditQuery(subject_hmac=digest), limit=_LINKS_READ)
        return tuple(sorted({h for r in page.records for h in same_person(r, digest)}))

    async def record_once(self, event: AuditEvent, writer_id: str) -> AuditRecord:
        """Commit ``event`` on ``writer_id``'s chain and sign the new head; else AuditUnavailable.

        For a process that records one event and exits: a writer's queue and tasks would batch
        nothing. ``writer_id`` is the run's own (:func:`gateway.instance.run_name`), so no other
        process continues the chain; if one did, compare-and-append refuses rather than fork it.
        The head is signed before this returns, when a signer is configured, so that ``verify``
        reports the chain as deleted should it go; a checkpoint that cannot be written fails the
        call like the record itself, since the caller has shown nothing yet.
        """
        head = await chain_head(self._store, writer_id)
        [record] = seal_batch([event], head, writer_id, self._keys)
        await self._store.append([record])
        if self._checkpoints is not None and self._signer is not None:
            head = ChainHead(record.seq, record.hash)
            await sign_head(self._checkpoints, self._signer, writer_id, head)
        return record

    async def iter_records(self, query: AuditQuery | None = None) -> AsyncIterator[AuditRecord]:
        """Every matching record, oldest first, page by page."""
        cursor: int | None = None
        while True:
            page = await self.search(query, limit=MAX_PAGE, cursor=cursor, newest_first=False)
            for record in page.records:
                yield record
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def export(self, out: TextIO, fmt: ExportFormat, query: AuditQuery | None = None) -> int:
        """Write the matching records as CSV or JSON Lines; return how many."""
        return await write_export(self.iter_records(query), out, fmt)

    async def export_evidence(self, directory: Path, query: AuditQuery | None = None) -> int:
        """Write a signed evidence directory for the records matching ``query`` (see
        :mod:`gateway.audit._evidence`); the number of records."""
        if self._checkpoints is None or self._signer is None:
            raise AuditQueryError("evidence needs the checkpoint directory and the signing key")
        spans = await self._seq_spans(query)
        records = [
            record
            for writer_id, (first, last) in spans.items()
            async for record in iter_chain(self._store, writer_id, until_seq=last)
            if record.seq >= first
        ]
        report = await self.verify()
        verified = all(c.ok for c in report.chains if c.writer_id in spans) and all(
            c.ok for c in report.completeness if c.writer_id in spans
        )
        checkpoints = await asyncio.to_thread(self._checkpoints.read)
        span = {
            "since": None if query is None or query.since is None else query.since.isoformat(),
            "until": None if query is None or query.until is None else query.until.isoformat(),
            "writers": {w: list(bounds) for w, bounds in spans.items()},
        }
        return await asyncio.to_thread(
            write_evidence,
            directory,
            records,
            checkpoints,
            self._signer,
            span=span,
            chain_verified=verified,
        )

    async def _seq_spans(self, query: AuditQuery | None) -> dict[str, tuple[int, int]]:
        spans: dict[str, tuple[int, int]] = {}
        async for record in self.iter_records(query):
            first, last = spans.get(record.writer_id, (record.seq, record.seq))
            spans[record.writer_id] = (min(first, record.seq), max(last, record.seq))
        return dict(sorted(spans.items()))

    async def verify(self, writer_id: str | None = None) -> VerifyReport:
        """Recompute one chain, or every chain in the store."""
        writers = [writer_id] if writer_id is not None else await self._store.writers()
        chains = tuple([await verify_chain(self._store, self._keys, w) for w in writers])
        if self._checkpoints is None:
            return VerifyReport(chains)
        read = await asyncio.to_thread(self._checkpoints.read)
        verdicts = await check_completeness(self._store, read, self._trusted)
        if writer_id is not None:
            verdicts = tuple(v for v in verdicts if v.writer_id == writer_id)
        return VerifyReport(chains, verdicts)

    async def purge(self, older_than: datetime, export_path: Path) -> PurgeReport:
        """Archive then delete records older than ``older_than``; chains stay verifiable."""
        if older_than.tzinfo is None:
            raise AuditQueryError("the purge cutoff must carry a timezone (UTC if unsure)")
        witness = None
        if self._checkpoints is not None:
            if self._signer is None:
                raise AuditQueryError("a purge needs the audit signing key to sign what it removes")
            witness = (self._checkpoints, self._signer)
        return await purge_before(self._store, self._keys, older_than, export_path, witness)
