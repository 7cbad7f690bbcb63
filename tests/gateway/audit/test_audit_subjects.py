"""Every data subject of an answer is recorded, chained, indexed, found, verified and purged.

A citizen's "who looked me up" must find a look-up whichever of their numbers they give and
whatever role they had in the answer; a tamperer must not be able to hide (or invent) one.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from gateway.audit import (
    AuditKeys,
    AuditReader,
    AuditRecord,
    AuditTrail,
    BreakReason,
    Disclosure,
    open_audit_reader,
    open_audit_trail,
    open_store,
)
from gateway.audit import _sql as sql
from gateway.audit._model import GENESIS, ChainHead, epoch_micros
from gateway.audit._seal import seal_batch
from gateway.audit.cli import audit_app
from tests.gateway.audit.support import CMND, KEY, PERSONAL_ID, execute, make_event

FATHER_ID = "054062001234"
MEMBER_CMND = "221000111"
FIELDS = ("full_name", "father")


def _lookup_by_cmnd(**overrides: object) -> dict[str, object]:
    """A look-up asked by CMND whose record resolves the personal id and names a father."""
    disclosed = (
        Disclosure(CMND, "subject", FIELDS),
        Disclosure(PERSONAL_ID, "subject", FIELDS),
        Disclosure(FATHER_ID, "relative", ("full_name", "personal_id"), "father"),
    )
    return {"subject_number": CMND, "fields_returned": FIELDS, "disclosed": disclosed, **overrides}


async def test_a_lookup_is_found_under_every_number_it_disclosed(
    trail: AuditTrail, reader: AuditReader
) -> None:
    await trail.record(make_event(request_id="by-cmnd", **_lookup_by_cmnd()))
    for number, role, fields in [
        (CMND, "subject", FIELDS),
        (PERSONAL_ID, "subject", FIELDS),
        (FATHER_ID, "relative", ("full_name", "personal_id")),
    ]:
        report = await reader.subject(number)
        [entry] = report.entries
        assert (entry.record.request_id, entry.role, entry.fields) == ("by-cmnd", role, fields)
        assert not report.reaches_legacy_records
    assert (await reader.subject(FATHER_ID)).entries[0].relation == "father"


async def test_a_not_found_lookup_is_filed_under_the_number_asked(
    trail: AuditTrail, reader: AuditReader
) -> None:
    event = make_event(subject_number=CMND, outcome="not_found", status=404, fields_returned=())
    await trail.record(event)
    [entry] = (await reader.subject(CMND)).entries
    assert (entry.role, entry.fields) == ("subject", ())
    assert (await reader.subject(PERSONAL_ID)).entries == ()


async def test_a_record_names_each_number_once_and_the_number_asked_first(
    trail: AuditTrail, reader: AuditReader
) -> None:
    twice = (Disclosure(PERSONAL_ID, "subject", FIELDS), Disclosure(CMND, "subject", FIELDS))
    await trail.record(make_event(**_lookup_by_cmnd(disclosed=twice * 2)))
    [record] = (await reader.search()).records
    assert record.subjects is not None
    assert [s.masked for s in record.subjects] == ["221****67", "054*******62"]


# --- tampering with the subjects ----------------------------------------------------------------

TAMPERINGS = [
    pytest.param(
        "DELETE FROM audit_subjects WHERE seq = 2 AND subject_hmac = ?",
        BreakReason.UNINDEXED,
        id="index-row-deleted",  # the disclosure vanishes from the father's view
    ),
    pytest.param(
        "INSERT INTO audit_subjects (writer_id, seq, subject_hmac)"
        " VALUES ('gateway-1', 2, 'x' || ?)",
        BreakReason.UNINDEXED,
        id="index-row-invented",
    ),
    pytest.param(
        "UPDATE audit_records SET subjects = NULL WHERE seq = 2 AND CAST(? AS TEXT) IS NOT NULL",
        BreakReason.MODIFIED,
        id="record-passed-off-as-legacy",
    ),
    pytest.param(
        "UPDATE audit_records SET subjects = '[1' WHERE seq = 2 AND CAST(? AS TEXT) IS NOT NULL",
        BreakReason.MODIFIED,
        id="subjects-garbled",
    ),
    pytest.param(
        "UPDATE audit_records SET subjects = '[[1]]' WHERE seq = 2 AND CAST(? AS TEXT) IS NOT NULL",
        BreakReason.MODIFIED,
        id="subjects-misshapen",
    ),
    pytest.param(
        "UPDATE audit_records SET subjects = '[]' WHERE seq = 2 AND CAST(? AS TEXT) IS NOT NULL",
        BreakReason.MODIFIED,
        id="subjects-emptied",
    ),
]


@pytest.mark.parametrize(("statement", "reason"), TAMPERINGS)
async def test_verify_catches_a_hidden_or_invented_disclosure(
    audit_dsn: str, trail: AuditTrail, reader: AuditReader, statement: str, reason: BreakReason
) -> None:
    for _ in range(3):
        await trail.record(make_event(**_lookup_by_cmnd()))
    assert (await reader.verify()).ok
    await execute(audit_dsn, statement, AuditKeys(KEY).subject_digest(FATHER_ID))
    broken = (await reader.verify()).chains[0].first_break
    assert broken is not None
    assert (broken.reason, broken.seq) == (reason, 2)


# --- records written before subjects were kept -------------------------------------------------


def _legacy_chain(count: int, start: datetime) -> list[AuditRecord]:
    """Records sealed as the previous release did: no subjects, the old MAC form."""
    keys, head, records = AuditKeys(KEY), GENESIS, []
    for i in range(count):
        event = make_event(occurred_at=start + timedelta(minutes=i), **_lookup_by_cmnd())
        [sealed] = seal_batch([event], head, "old-gw", keys)
        record = replace(sealed, subjects=None)
        record = replace(record, hash=keys.record_mac(record))
        head = ChainHead(record.seq, record.hash)
        records.append(record)
    return records


async def _insert_legacy(dsn: str, records: list[AuditRecord]) -> None:
    columns = sql.INSERT_COLUMNS[:-1]  # a version-2 store has no subjects column
    marks = ", ".join("?" * len(columns))
    statement = f"INSERT INTO audit_records ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    sqlite = dsn.startswith("sqlite")
    for record in records:
        at = epoch_micros(record.occurred_at) if sqlite else record.occurred_at
        fields = '["full_name","father"]' if sqlite else list(record.fields_returned)
        values = sql.insert_values(record, occurred_at=at, fields_returned=fields)
        await execute(dsn, statement, *values[:-1])


async def _upgrade(dsn: str, **new_event: object) -> str:
    """A version-2 store holding three legacy look-ups by CMND, migrated by this code, then one
    new record."""
    old = open_store(dsn, migrate_to=2)
    await old.open()
    await old.close()
    await _insert_legacy(dsn, _legacy_chain(3, datetime.now(UTC) - timedelta(days=3)))
    async with open_audit_trail(dsn, hmac_key=KEY, writer_id="new-gw") as trail:
        await trail.record(make_event(request_id="new", **new_event))
    return dsn


@pytest.fixture
async def upgraded(audit_dsn: str) -> str:
    """The new record is a look-up by CMND that names the personal id too."""
    return await _upgrade(audit_dsn, **_lookup_by_cmnd())


async def test_legacy_records_still_verify_after_the_upgrade(upgraded: str) -> None:
    async with open_audit_reader(upgraded, hmac_key=KEY) as reader:
        report = await reader.verify()
    assert report.ok, report
    assert report.records_checked == 4


async def test_a_report_that_reaches_legacy_records_says_so(upgraded: str) -> None:
    """Legacy records are found by their number asked, and the report flags the blind spot."""
    async with open_audit_reader(upgraded, hmac_key=KEY) as reader:
        by_cmnd = await reader.subject(CMND)
        by_id = await reader.subject(PERSONAL_ID)
        by_father = await reader.subject(FATHER_ID)
    assert [e.legacy for e in by_cmnd.entries] == [False, True, True, True]
    assert [e.record.request_id for e in by_father.entries] == ["new"]  # legacy: unknowable
    assert by_id.reaches_legacy_records
    assert by_id.legacy_until is not None
    assert by_id.note is not None
    assert "other number" in by_id.note
    assert by_cmnd.to_dict()["records"][1]["disclosed"]["legacy"] is True


async def test_a_newer_record_naming_both_numbers_finds_legacy_lookups_under_the_other(
    upgraded: str,
) -> None:
    """The new look-up tied the CMND to the personal id: old look-ups by CMND now show by id."""
    async with open_audit_reader(upgraded, hmac_key=KEY) as reader:
        report = await reader.subject(PERSONAL_ID)
    assert [(e.legacy, e.role) for e in report.entries] == [(False, "subject")] + [
        (True, "subject")
    ] * 3


async def test_without_a_record_naming_both_numbers_legacy_lookups_stay_under_theirs(
    audit_dsn: str,
) -> None:
    dsn = await _upgrade(audit_dsn, subject_number=PERSONAL_ID)
    async with open_audit_reader(dsn, hmac_key=KEY) as reader:
        report = await reader.subject(PERSONAL_ID)
    assert [e.record.request_id for e in report.entries] == ["new"]
    assert report.reaches_legacy_records


async def test_the_flag_goes_once_retention_purged_the_legacy_records(
    upgraded: str, tmp_path: Path
) -> None:
    async with open_audit_reader(upgraded, hmac_key=KEY) as reader:
        await reader.purge(datetime.now(UTC) - timedelta(days=1), tmp_path / "archive.jsonl")
        report = await reader.subject(PERSONAL_ID)
    assert [e.record.request_id for e in report.entries] == ["new"]
    assert not report.reaches_legacy_records
    assert report.note is None


# --- retention ------------------------------------------------------------------------------------


async def test_purge_removes_the_index_rows_of_the_records_it_removes(
    audit_dsn: str, trail: AuditTrail, reader: AuditReader, tmp_path: Path
) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    await trail.record(make_event(occurred_at=old, request_id="old", **_lookup_by_cmnd()))
    await trail.record(make_event(request_id="kept", **_lookup_by_cmnd()))
    await reader.purge(datetime.now(UTC) - timedelta(days=1), tmp_path / "archive.jsonl")
    store = open_store(audit_dsn)
    await store.open()
    try:
        left = await store.subject_index("gateway-1", 0, 10)
    finally:
        await store.close()
    assert {seq for seq, _ in left} == {2}  # no orphan rows for the purged record
    assert [e.record.request_id for e in (await reader.subject(FATHER_ID)).entries] == ["kept"]
    assert (await reader.verify()).ok
    archived = (tmp_path / "archive.jsonl").read_text()
    assert '"role":"relative"' in archived  # the archive keeps who the record was about


# --- lgsp audit subject ----------------------------------------------------------------------


async def _cli_subject(dsn: str, *args: str) -> tuple[int, str]:
    env = {"LGSP_AUDIT_DSN": dsn, "LGSP_AUDIT_HMAC_KEY": KEY.decode(), "COLUMNS": "200"}
    result = await asyncio.to_thread(CliRunner().invoke, audit_app, ["subject", *args], env=env)
    return result.exit_code, result.output


async def test_the_cli_shows_role_and_fields_by_the_relatives_own_number(
    audit_dsn: str, trail: AuditTrail
) -> None:
    await trail.record(make_event(**_lookup_by_cmnd()))
    code, output = await _cli_subject(audit_dsn, FATHER_ID)
    assert code == 0, output
    assert "relative (father)" in output
    assert "full_name, personal_id" in output
    assert FATHER_ID not in output
    assert "note:" not in output


async def test_the_cli_says_when_its_answer_reaches_legacy_records(upgraded: str) -> None:
    code, output = await _cli_subject(upgraded, PERSONAL_ID)
    assert code == 0, output
    assert "note: records written before" in output
    code, output = await _cli_subject(upgraded, CMND, "--json")
    report = orjson.loads(output)
    assert report["reaches_legacy_records"] is True
    assert [r["disclosed"]["legacy"] for r in report["records"]] == [False, True, True, True]
