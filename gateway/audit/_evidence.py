"""Evidence for a third party: a signed export of a range of the trail, checkable offline.

``lgsp audit export --evidence DIR`` writes three files:

- ``records.jsonl``: for each writer, every record from its first to its last ``seq`` in the
  asked range, contiguous, with its chain links (``prev_hash``, ``hash``); subject numbers are
  HMACed and masked as in the store (it never had them in clear);
- ``checkpoints.jsonl``: every signed checkpoint of those writers, as the writers signed them;
- ``manifest.json``: the range, per-writer seq spans, the SHA-256 of each record line, whether
  the exporting side's chain verification passed, all signed with the checkpoint signing key.

``lgsp audit verify-evidence DIR --public-key KEY`` needs neither the database nor the HMAC key.
It checks the manifest's signature; each record line against its signed digest (an edited record
is named by writer and seq); that each writer's seqs are contiguous and every ``prev_hash`` is the
previous record's ``hash``; every checkpoint's signature; and that at each signed ``seq`` inside
the export the record's ``hash`` is the one the writer signed when it wrote it, so the exported
chain is the one that existed then, not one re-chained later. What it cannot check without the
HMAC key is that a record's MAC matches its content: that is the exporter's ``verify``, recorded
in the manifest as ``chain_verified``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from gateway.audit._checkpoint import Checkpoint, CheckpointFile
from gateway.audit._errors import AuditQueryError
from gateway.audit._export import jsonl_line
from gateway.audit._model import AuditRecord
from gateway.audit._signing import CheckpointSigner, TrustedKeys

__all__ = ["EvidenceReport", "verify_evidence", "write_evidence"]

FORMAT = "lgsp-audit-evidence/v1"
RECORDS, CHECKPOINTS, MANIFEST = "records.jsonl", "checkpoints.jsonl", "manifest.json"


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    records: int
    checkpoints_matched: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _digest(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def write_evidence(
    directory: Path,
    records: Iterable[AuditRecord],
    checkpoints: CheckpointFile,
    signer: CheckpointSigner,
    *,
    span: dict[str, Any],
    chain_verified: bool,
) -> int:
    """Write the three files into a new directory; the number of records (blocking I/O)."""
    try:
        directory.mkdir(parents=True)
    except FileExistsError as exc:
        raise AuditQueryError(f"{directory} exists: evidence goes into a new directory") from exc
    digests: list[list[Any]] = []
    with (directory / RECORDS).open("wb") as out:
        for record in records:
            line = jsonl_line(record).encode()
            out.write(line)
            digests.append([record.writer_id, record.seq, _digest(line)])
    writers = {w for w, _, _ in digests}
    with (directory / CHECKPOINTS).open("wb") as out:
        for checkpoint in checkpoints.checkpoints:
            if checkpoint.writer_id in writers:
                out.write(orjson.dumps(checkpoint.to_json(), option=orjson.OPT_APPEND_NEWLINE))
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "range": span,
        "chain_verified": chain_verified,
        "checkpoints_sha256": hashlib.sha256((directory / CHECKPOINTS).read_bytes()).hexdigest(),
        "records": digests,
        "key_id": signer.key_id,
    }
    manifest["signature"] = signer.sign(_signed_bytes(manifest))
    (directory / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return len(digests)


def _signed_bytes(manifest: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)


def verify_evidence(directory: Path, trusted: TrustedKeys) -> EvidenceReport:
    """Check an evidence directory offline (no database, no HMAC key)."""
    try:
        manifest = orjson.loads((directory / MANIFEST).read_bytes())
        lines = (directory / RECORDS).read_bytes().splitlines()
        checkpoint_bytes = (directory / CHECKPOINTS).read_bytes()
    except (OSError, orjson.JSONDecodeError) as exc:
        return EvidenceReport(0, 0, (f"cannot read the evidence in {directory}: {exc}",))
    problems = _manifest_problems(manifest, trusted, checkpoint_bytes)
    records, record_problems = _records(lines, manifest.get("records", []))
    problems += record_problems + _link_problems(records)
    matched, checkpoint_problems = _checkpoint_problems(checkpoint_bytes, records, trusted)
    return EvidenceReport(len(records), matched, tuple(problems + checkpoint_problems))


def _manifest_problems(
    manifest: dict[str, Any], trusted: TrustedKeys, checkpoint_bytes: bytes
) -> list[str]:
    problems = []
    if manifest.get("format") != FORMAT:
        problems.append(f"manifest.json is not {FORMAT}")
    kid, signature = str(manifest.get("key_id", "")), str(manifest.get("signature", ""))
    if not trusted.verify(kid, signature, _signed_bytes(manifest)):
        problems.append(f"manifest.json is not signed by a trusted key (key id {kid or '-'})")
    if hashlib.sha256(checkpoint_bytes).hexdigest() != manifest.get("checkpoints_sha256"):
        problems.append("checkpoints.jsonl is not the file the manifest signed")
    if manifest.get("chain_verified") is not True:
        problems.append("the exporter's chain verification did not pass (chain_verified false)")
    return problems


def _records(lines: list[bytes], signed: list[list[Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    problems = []
    if len(lines) != len(signed):
        problems.append(
            f"records.jsonl has {len(lines)} records, the manifest signed {len(signed)}"
        )
    records = []
    for line, (writer, seq, digest) in zip(lines, signed, strict=False):
        record = orjson.loads(line)
        records.append(record)
        if _digest(line) != digest or (record.get("writer_id"), record.get("seq")) != (writer, seq):
            problems.append(f"record {writer} seq {seq} was edited after the export was signed")
    return records, problems


def _link_problems(records: list[dict[str, Any]]) -> list[str]:
    problems = []
    by_writer: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_writer.setdefault(record["writer_id"], []).append(record)
    for writer, chain in by_writer.items():
        chain.sort(key=lambda r: r["seq"])
        for before, after in pairwise(chain):
            if after["seq"] != before["seq"] + 1:
                problems.append(
                    f"writer {writer}: seq {before['seq'] + 1}-{after['seq'] - 1} is missing"
                )
            elif after["prev_hash"] != before["hash"]:
                problems.append(
                    f"writer {writer}: seq {after['seq']} does not link to its predecessor"
                )
    return problems


def _checkpoint_problems(
    checkpoint_bytes: bytes, records: list[dict[str, Any]], trusted: TrustedKeys
) -> tuple[int, list[str]]:
    hashes = {(r["writer_id"], r["seq"]): r["hash"] for r in records}
    matched, problems = 0, []
    for line in checkpoint_bytes.splitlines():
        try:
            checkpoint = Checkpoint.from_json(orjson.loads(line))
        except (ValueError, KeyError, TypeError):
            problems.append("checkpoints.jsonl holds a line that does not parse")
            continue
        where = f"writer {checkpoint.writer_id} seq {checkpoint.seq}"
        if not checkpoint.verifies(trusted):
            problems.append(f"the checkpoint at {where} is not signed by a trusted key")
            continue
        stored = hashes.get((checkpoint.writer_id, checkpoint.seq))
        if stored is None:
            continue  # outside the exported range
        if stored != checkpoint.head_hash:
            problems.append(f"the record at {where} is not the one its writer signed")
        else:
            matched += 1
    return matched, problems
