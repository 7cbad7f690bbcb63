"""Evidence for a third party: an honest export verifies offline; one edited byte does not.

``verify-evidence`` runs with the public key only: no database, no HMAC key (the test gives it
neither: the command has no option for them).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.audit import (
    Checkpointer,
    CheckpointLog,
    CheckpointSigner,
    new_signing_key,
    open_audit_reader,
    open_audit_trail,
)
from gateway.audit.cli import audit_app
from tests.gateway.audit.support import KEY, execute
from tests.gateway.audit.test_audit_checkpoints import SIGNER, SIGNING_TEXT, WRITER, record

runner = CliRunner()


@pytest.fixture
async def evidence(audit_dsn: str, tmp_path: Path) -> Path:
    """Twelve look-ups signed every 5 records, exported as evidence through the CLI."""
    log = CheckpointLog(tmp_path / "checkpoints")
    checkpointer = Checkpointer(log, SIGNER, every_records=5, every_s=60)
    trail = open_audit_trail(audit_dsn, hmac_key=KEY, writer_id=WRITER, checkpointer=checkpointer)
    async with trail:
        await record(trail, 12)
    folder = tmp_path / "evidence"
    env = {
        "LGSP_AUDIT_DSN": audit_dsn,
        "LGSP_AUDIT_HMAC_KEY": KEY.decode(),
        "LGSP_AUDIT_CHECKPOINT_DIR": str(log.directory),
        "LGSP_AUDIT_SIGNING_KEY": SIGNING_TEXT,
    }
    args = ["export", "--evidence", str(folder)]
    result = await asyncio.to_thread(runner.invoke, audit_app, args, env=env)
    assert result.exit_code == 0, result.output
    return folder


async def verify_offline(folder: Path, *keys: str) -> tuple[int, dict[str, Any]]:
    args = ["verify-evidence", str(folder), "--json"]
    for key in keys or (SIGNER.public_text(),):
        args += ["--public-key", key]
    result = await asyncio.to_thread(runner.invoke, audit_app, args, env={})
    return result.exit_code, orjson.loads(result.output)


async def test_an_honest_export_verifies_offline(evidence: Path) -> None:
    code, report = await verify_offline(evidence)
    assert code == 0, report
    assert report["records"] == 12
    assert report["checkpoints_matched"] >= 2, "the export's hashes are the ones signed then"


async def test_one_edited_record_fails_and_is_named(evidence: Path) -> None:
    lines = (evidence / "records.jsonl").read_text().splitlines()
    edited = orjson.loads(lines[6])
    edited["purpose_code"] = "9.999999"
    lines[6] = orjson.dumps(edited).decode()
    (evidence / "records.jsonl").write_text("\n".join(lines) + "\n")
    code, report = await verify_offline(evidence)
    assert code == 1
    assert report["problems"] == [f"record {WRITER} seq 7 was edited after the export was signed"]


async def test_a_deleted_record_fails(evidence: Path) -> None:
    lines = (evidence / "records.jsonl").read_text().splitlines()
    del lines[3]
    (evidence / "records.jsonl").write_text("\n".join(lines) + "\n")
    code, report = await verify_offline(evidence)
    assert code == 1
    assert any("seq 4-4 is missing" in p for p in report["problems"])


async def test_a_re_signed_export_with_another_key_fails(evidence: Path) -> None:
    other = CheckpointSigner.from_text(new_signing_key())
    code, report = await verify_offline(evidence, other.public_text())
    assert code == 1
    assert any("not signed by a trusted key" in p for p in report["problems"])


async def test_evidence_of_a_tampered_chain_says_so(audit_dsn: str, tmp_path: Path) -> None:
    """The exporter verifies the chain first; a broken one is exported, flagged, and fails."""
    log = CheckpointLog(tmp_path / "checkpoints")
    checkpointer = Checkpointer(log, SIGNER, every_records=5, every_s=60)
    async with open_audit_trail(
        audit_dsn, hmac_key=KEY, writer_id=WRITER, checkpointer=checkpointer
    ) as trail:
        await record(trail, 6)
    await execute(audit_dsn, "UPDATE audit_records SET officer_id = 'x' WHERE seq = 2")
    async with open_audit_reader(audit_dsn, hmac_key=KEY, checkpoints=log, signer=SIGNER) as r:
        await r.export_evidence(tmp_path / "ev")
    code, report = await verify_offline(tmp_path / "ev")
    assert code == 1
    assert any("chain_verified false" in p for p in report["problems"])
