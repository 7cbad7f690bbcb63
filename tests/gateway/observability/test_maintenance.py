"""The maintenance switch: in memory for one replica, or a flag file every replica follows."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from gateway.cli import app as lgsp
from gateway.observability import MaintenanceSwitch
from gateway.observability.maintenance import MaintenanceState, read_flag, write_flag
from tests.gateway.observability.conftest import events


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flag(tmp_path: Path) -> Path:
    return tmp_path / "shared" / "maintenance"


def test_the_switch_starts_off() -> None:
    assert not MaintenanceSwitch().is_on()


def test_in_memory_switch_turns_on_and_off() -> None:
    switch = MaintenanceSwitch()
    state = switch.turn_on(reason="database upgrade", retry_after_s=600, by="admin")
    assert (state.enabled, state.reason, state.retry_after_s) == (True, "database upgrade", 600)
    assert switch.state() == state
    switch.turn_off(by="admin")
    assert not switch.is_on()


def test_turning_on_with_a_file_writes_it_for_the_other_replicas(flag: Path) -> None:
    MaintenanceSwitch(flag).turn_on(reason="upgrade", retry_after_s=120, by="admin")
    other_replica = MaintenanceSwitch(flag)
    assert other_replica.state().reason == "upgrade"
    assert other_replica.state().retry_after_s == 120


def test_another_replica_notices_within_the_recheck_interval(flag: Path) -> None:
    clock = FakeTime()
    replica = MaintenanceSwitch(flag, recheck_s=1.0, clock=clock)
    assert not replica.is_on()
    MaintenanceSwitch(flag).turn_on(reason=None, by="cli")
    assert not replica.is_on(), "read again only once the interval has passed"
    clock.now += 1.0
    assert replica.is_on()


@pytest.mark.parametrize(
    ("content", "reason", "retry_after_s"),
    [
        pytest.param(b"", None, 300, id="touched-empty"),
        pytest.param(b"not json", None, 300, id="garbage"),
        pytest.param(b'["a"]', None, 300, id="json-not-an-object"),
        pytest.param(b'{"reason": "r", "retry_after_s": 60}', "r", 60, id="with-details"),
        pytest.param(b'{"retry_after_s": -5}', None, 300, id="bad-retry-after"),
    ],
)
def test_an_existing_flag_file_means_on_whatever_it_holds(
    flag: Path, content: bytes, reason: str | None, retry_after_s: int
) -> None:
    flag.parent.mkdir(parents=True)
    flag.write_bytes(content)
    state = read_flag(flag)
    assert (state.enabled, state.reason, state.retry_after_s) == (True, reason, retry_after_s)


def test_a_missing_flag_file_means_off(flag: Path) -> None:
    assert not read_flag(flag).enabled


def test_written_flag_files_round_trip(flag: Path) -> None:
    state = MaintenanceState.on("upgrade", 90)
    write_flag(flag, state)
    assert read_flag(flag) == state
    assert list(flag.parent.iterdir()) == [flag], "no temporary file is left behind"


def test_changes_are_logged_once_with_who_made_them(flag: Path) -> None:
    clock = FakeTime()
    replica = MaintenanceSwitch(flag, clock=clock)
    with capture_logs() as captured:
        replica.turn_on(reason="upgrade", retry_after_s=60, by="admin")
        replica.turn_on(reason="upgrade", retry_after_s=60, by="admin")
        flag.unlink()  # someone else (the CLI on another host) turned it off
        clock.now += 5
        replica.state()
        replica.state()
    assert events(captured, "maintenance_on") == [
        {
            "event": "maintenance_on",
            "log_level": "warning",
            "by": "admin",
            "reason": "upgrade",
            "retry_after_s": 60,
        }
    ]
    assert events(captured, "maintenance_off") == [
        {"event": "maintenance_off", "log_level": "warning", "by": "file"}
    ]


def test_an_unreadable_flag_keeps_the_last_state_and_says_so(flag: Path) -> None:
    clock = FakeTime()
    replica = MaintenanceSwitch(flag, clock=clock)
    replica.turn_on(reason=None, by="admin")
    flag.unlink()
    flag.mkdir()  # reading a directory fails with an OSError
    clock.now += 5
    with capture_logs() as captured:
        assert replica.is_on()
    assert events(captured, "maintenance_flag_unreadable") != []


# --- the command line ------------------------------------------------------------------------


def _run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(lgsp, ["maintenance", *args, "--json"])
    assert result.exit_code == 0, result.output
    shown: dict[str, object] = orjson.loads(result.output)
    return shown


def test_cli_turns_maintenance_on_and_off_through_the_file(flag: Path) -> None:
    shown = _run("on", "--file", str(flag), "--reason", "upgrade", "--retry-after", "60")
    assert (shown["enabled"], shown["retry_after_s"]) == (True, 60)
    assert MaintenanceSwitch(flag).state().reason == "upgrade"
    assert _run("status", "--file", str(flag))["enabled"] is True
    assert _run("off", "--file", str(flag))["enabled"] is False
    assert not flag.exists()


def test_cli_reads_the_flag_file_from_settings(flag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_MAINTENANCE_FILE", str(flag))
    _run("on")
    assert flag.exists()


def test_cli_prints_the_switch_as_a_table_like_the_other_commands(flag: Path) -> None:
    """Not raw JSON any more: setting/value rows (TSV when not on a terminal, as here)."""
    result = CliRunner().invoke(lgsp, ["maintenance", "on", "--file", str(flag), "--reason", "x"])
    lines = result.output.splitlines()
    assert lines[0] == "setting\tvalue"
    assert "enabled\tTrue" in lines
    assert f"flag_file\t{flag}" in lines


def test_cli_without_a_flag_file_explains_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LGSP_MAINTENANCE_FILE", raising=False)
    result = CliRunner().invoke(lgsp, ["maintenance", "on"])
    assert result.exit_code == 2
    assert "LGSP_MAINTENANCE_FILE" in result.output
