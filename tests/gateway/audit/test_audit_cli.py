"""``lgsp audit``: the auditor's commands, their output and their exit codes."""

from __future__ import annotations

import asyncio
import os
import pwd
import sys
from asyncio.subprocess import PIPE
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.audit import AuditTrail, open_audit_trail
from gateway.audit.cli import audit_app
from gateway.settings import DEV_AUDIT_KEY
from tests.gateway.audit.support import KEY, PERSONAL_ID, execute, make_event

runner = CliRunner()


@pytest.fixture
async def recorded(trail: AuditTrail, audit_dsn: str) -> dict[str, str]:
    """Five look-ups, two of them a year old; the CLI's environment for this store."""
    old = datetime.now(UTC) - timedelta(days=400)
    for i in range(5):
        await trail.record(
            make_event(
                request_id=f"r{i}",
                occurred_at=old if i < 2 else datetime.now(UTC),
                officer_id="officer-17" if i % 2 else "officer-23",
            )
        )
    return {"LGSP_AUDIT_DSN": audit_dsn, "LGSP_AUDIT_HMAC_KEY": KEY.decode()}


async def _invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run a command as a user would; it runs its own event loop, so off this one."""
    result = await asyncio.to_thread(runner.invoke, audit_app, list(args), env=env)
    return result.exit_code, result.output


async def test_verify_passes_on_an_intact_trail(recorded: dict[str, str]) -> None:
    code, output = await _invoke(recorded, "verify", "--json")
    assert code == 0
    assert orjson.loads(output)["records_checked"] == 5


async def test_verify_fails_and_names_the_tampered_record(
    recorded: dict[str, str], audit_dsn: str
) -> None:
    await execute(audit_dsn, "UPDATE audit_records SET purpose_code = '9.999999' WHERE seq = 3")
    code, output = await _invoke(recorded, "verify", "--json")
    assert code == 1
    [chain] = orjson.loads(output)["chains"]
    assert chain["first_break"]["reason"] == "modified"
    assert chain["first_break"]["request_id"] == "r2"


async def test_verify_table_for_people(recorded: dict[str, str], audit_dsn: str) -> None:
    await execute(audit_dsn, "DELETE FROM audit_records WHERE seq = 2")
    code, output = await _invoke(recorded, "verify")
    assert code == 1
    assert "deleted" in output
    assert "seq 3 (request r2)" in output


async def test_search_filters_and_pages(recorded: dict[str, str]) -> None:
    code, output = await _invoke(recorded, "search", "--officer", "officer-17", "--json")
    assert code == 0
    assert [r["request_id"] for r in orjson.loads(output)["records"]] == ["r3", "r1"]
    code, output = await _invoke(recorded, "search", "--limit", "2", "--oldest-first", "--json")
    page = orjson.loads(output)
    assert [r["request_id"] for r in page["records"]] == ["r0", "r1"]
    code, output = await _invoke(
        recorded, "search", "--limit", "2", "--cursor", str(page["next_cursor"]), "--json"
    )
    assert code == 0


async def test_search_piped_is_one_whole_record_per_line(recorded: dict[str, str]) -> None:
    """Piped output was a folded table; now TSV a script can cut (the runner is not a tty)."""
    code, output = await _invoke(recorded, "search", "--officer", "officer-17")
    lines = output.splitlines()
    assert code == 0
    assert lines[0].split("\t")[:3] == ["occurred_at", "agency_code", "client_id"]
    assert {line.split("\t")[-1] for line in lines[1:]} == {"r1", "r3"}


async def test_search_by_time(recorded: dict[str, str]) -> None:
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    code, output = await _invoke(recorded, "search", "--since", since, "--json")
    assert code == 0
    assert len(orjson.loads(output)["records"]) == 3


async def test_subject_shows_masked_numbers_only(recorded: dict[str, str]) -> None:
    """The Data Tracker view names officers and purposes, never the number in clear."""
    code, output = await _invoke(recorded, "subject", PERSONAL_ID)
    assert code == 0
    assert "officer-17" in output
    assert PERSONAL_ID not in output


async def test_export_csv_to_a_file(recorded: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    code, _ = await _invoke(recorded, "export", "--format", "csv", "--output", str(target))
    assert code == 0
    assert len(target.read_text().splitlines()) == 1 + 5


async def test_export_jsonl_to_stdout(recorded: dict[str, str]) -> None:
    code, output = await _invoke(recorded, "export", "--officer", "officer-23")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    assert code == 0
    assert [orjson.loads(line)["request_id"] for line in lines] == ["r0", "r2", "r4"]


async def test_purge_by_age(recorded: dict[str, str], tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    code, output = await _invoke(
        recorded, "purge", "--older-than", "365d", "--export", str(archive), "--yes", "--json"
    )
    assert code == 0
    assert orjson.loads(output)["records_purged"] == 2
    assert len(archive.read_text().splitlines()) == 2
    code, _ = await _invoke(recorded, "verify")
    assert code == 0


async def test_purge_asks_before_deleting(recorded: dict[str, str], tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    result = await asyncio.to_thread(
        runner.invoke,
        audit_app,
        ["purge", "--older-than", "365d", "--export", str(archive)],
        input="n\n",
        env=recorded,
    )
    assert result.exit_code == 1
    assert not archive.exists()


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        pytest.param(
            ["verify"],
            {"LGSP_AUDIT_HMAC_KEY": "", "LGSP_ENV": "production"},
            2,
            "no audit HMAC key",
            id="no-key-in-production",
        ),
        pytest.param(["verify", "--hmac-key", "short"], {}, 2, "at least 16 bytes", id="short-key"),
        pytest.param(
            ["verify", "--dsn", "postgresql://postgres@127.0.0.1:1/x"],
            {},
            3,
            "audit store unavailable",
            id="store-down",
        ),
        pytest.param(["subject", "12345"], {}, 2, "not a citizen number", id="bad-number"),
        pytest.param(["search", "--since", "yesterday"], {}, 2, "ISO 8601", id="bad-time"),
    ],
)
async def test_bad_input_and_outages_have_clear_errors(
    recorded: dict[str, str], args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    exit_code, output = await _invoke({**recorded, **env}, *args)
    assert exit_code == code
    assert message in output


async def test_dev_mode_falls_back_to_the_dev_key_as_the_gateway_does(tmp_path: Path) -> None:
    """`make run` records with the dev key; `lgsp audit verify` there needs no key either."""
    dsn = f"sqlite:///{tmp_path / 'dev-audit.sqlite3'}"
    async with open_audit_trail(dsn, hmac_key=DEV_AUDIT_KEY.encode(), writer_id="dev") as trail:
        await trail.record(make_event())
    exit_code, output = await _invoke(
        {"LGSP_AUDIT_DSN": dsn, "LGSP_AUDIT_HMAC_KEY": "", "LGSP_ENV": "dev"}, "verify"
    )
    assert exit_code == 0, output
    assert "using the dev key" in output


async def test_search_refuses_a_cursor_past_64_bits_in_one_line(recorded: dict[str, str]) -> None:
    """No traceback: a usage error naming --cursor and its range, exit 2."""
    code, output = await _invoke(recorded, "search", "--cursor", str(2**64))
    assert code == 2
    assert "--cursor" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("command", ["subject", "search"])
async def test_another_hmac_key_is_refused_not_answered_with_nobody(
    recorded: dict[str, str], command: str
) -> None:
    """With the wrong key every subject looks unvisited: a false "nobody looked you up"."""
    wrong = {**recorded, "LGSP_AUDIT_HMAC_KEY": "another-audit-hmac-key-0123456789abcdef"}
    args = [command, PERSONAL_ID] if command == "subject" else [command]
    code, output = await _invoke(wrong, *args)
    assert code != 0
    assert "HMAC key does not match this audit trail" in output
    assert "Traceback" not in output


# --- the subject view is itself audited ---------------------------------------------------------

VIEWER = f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"  # the OS account, not $USER


def _views(output: str) -> list[dict[str, Any]]:
    """The audit.subject_view records among a `subject --json` answer's, newest first."""
    records: list[dict[str, Any]] = orjson.loads(output)["records"]
    return [r for r in records if r["operation"] == "audit.subject_view"]


async def test_each_subject_view_is_recorded_and_shown_by_the_next(
    recorded: dict[str, str],
) -> None:
    """Viewing someone's history is processing of their data, from a terminal too."""
    code, first = await _invoke(recorded, "subject", PERSONAL_ID, "--json")
    assert code == 0, first
    assert _views(first) == []  # recorded before printing, but after the read
    code, second = await _invoke(recorded, "subject", PERSONAL_ID, "--json")
    [view] = _views(second)
    assert (view["client_id"], view["officer_id"], view["purpose_code"]) == (
        VIEWER,
        VIEWER,
        "audit_read",
    )
    assert (view["outcome"], view["status"], view["fields_returned"]) == (
        "success",
        0,
        ["audit_history"],
    )
    assert view["subject_masked"] == PERSONAL_ID[:3] + "*******" + PERSONAL_ID[-2:]
    _, third = await _invoke(recorded, "subject", PERSONAL_ID, "--json")
    assert [v["request_id"] for v in _views(third)][1:] == [view["request_id"]]
    writers = {v["writer_id"] for v in _views(third)}
    assert len(writers) == 2
    assert all(w.startswith("cli:") for w in writers)


async def test_verify_passes_with_several_views_each_chain_signed(
    recorded: dict[str, str],
) -> None:
    for _ in range(3):
        code, output = await _invoke(recorded, "subject", PERSONAL_ID)
        assert code == 0, output
    code, output = await _invoke(recorded, "verify", "--json")
    report = orjson.loads(output)
    assert code == 0, output
    views = [c for c in report["completeness"] if c["writer_id"].startswith("cli:")]
    assert len(views) == 3
    assert all((c["ok"], c["signed_seq"], c["uncovered"]) == (True, 1, None) for c in views)


async def test_without_a_signing_key_in_production_the_view_is_recorded_unsigned(
    recorded: dict[str, str],
) -> None:
    """Checkpoints need the signing key; the record does not, and is never skipped."""
    production = {**recorded, "LGSP_ENV": "production", "LGSP_AUDIT_SIGNING_KEY": ""}
    code, output = await _invoke(production, "subject", PERSONAL_ID)
    assert code == 0, output
    assert "left unsigned" in output
    assert not (Path(os.environ["LGSP_AUDIT_CHECKPOINT_DIR"]) / "checkpoints.jsonl").exists()
    code, output = await _invoke(recorded, "verify", "--json")
    [view] = [c for c in orjson.loads(output)["completeness"] if c["writer_id"].startswith("cli:")]
    assert (code, view["checkpoints"], view["uncovered"]) == (0, 0, [1, 1])


async def test_a_view_that_cannot_be_recorded_shows_no_history(
    recorded: dict[str, str], audit_dsn: str
) -> None:
    """The store takes no record (a trigger refuses every insert, even to root): one line naming
    the store on stderr, nothing on stdout, a non-zero exit, and no record of a view."""
    for statement in _REFUSE_INSERTS["sqlite" if audit_dsn.startswith("sqlite") else "postgresql"]:
        await execute(audit_dsn, statement)
    result = await asyncio.to_thread(
        runner.invoke, audit_app, ["subject", PERSONAL_ID, "--json"], env=recorded
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 3
    assert result.stdout == ""
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lgsp: ")
    assert "cannot record this view in " + audit_dsn.partition("?")[0] in lines[0]
    assert "no history shown" in lines[0]
    code, output = await _invoke(recorded, "search", "--operation", "audit.subject_view", "--json")
    assert (code, orjson.loads(output)["records"]) == (0, [])


_REFUSE_INSERTS = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'read-only audit store'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'read-only audit store'; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_records "
        "FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


@pytest.mark.slow
async def test_concurrent_runs_write_chains_of_their_own(
    recorded: dict[str, str], tmp_path: Path
) -> None:
    """Two `lgsp audit subject` processes at once: each records on its own chain, no conflict."""
    command = [sys.executable, "-m", "gateway.cli", "audit", "subject", PERSONAL_ID, "--json"]
    env = {**os.environ, **recorded}
    runs = [
        await asyncio.create_subprocess_exec(
            *command, env=env, stdout=PIPE, stderr=PIPE, cwd=Path(__file__).parents[3]
        )
        for _ in range(2)
    ]
    for run in runs:
        await run.communicate()
    assert [run.returncode for run in runs] == [0, 0]
    code, output = await _invoke(recorded, "verify", "--json")
    assert code == 0, output
    writers = [c["writer_id"] for c in orjson.loads(output)["chains"]]
    assert len([w for w in writers if w.startswith("cli:")]) == 2


@pytest.mark.parametrize("command", ["search", "export"])
async def test_search_and_export_select_by_no_citizen_number(
    recorded: dict[str, str], command: str
) -> None:
    """They read records by time, client, officer or purpose, never one person's: were a number
    filter added, its reads would be subject views to record like `subject`'s (see
    docs/decisions/audit.md)."""
    code, output = await _invoke(recorded, command, "--subject", PERSONAL_ID)
    assert code == 2
    assert "No such option" in output
