"""The logger configuration and the personal-data guard every event passes before it is written."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
import uvicorn
from structlog.testing import capture_logs

from gateway.logs import configure_logging, get_logger, guard_personal_data, wants_console


def _guard(**event: object) -> dict[str, object]:
    return dict(guard_personal_data(None, "info", dict(event)))


@pytest.fixture(autouse=True)
def _json_logging() -> Iterator[None]:
    """Each test starts from, and leaves behind, the configuration the test suite runs with."""
    configure_logging("info", "json")
    yield
    configure_logging("info", "json")


def _json_lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


# --- the guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("054092000189", "054*******89", id="bare-personal-id"),
        pytest.param(
            "GET /api/v1/citizens/054092000189",
            "GET /api/v1/citizens/054*******89",
            id="id-inside-text",
        ),
        pytest.param("cmnd 221234567 given", "cmnd 221****67 given", id="cmnd-inside-text"),
        pytest.param("order 12345678901234", "order 12345678901234", id="longer-runs-untouched"),
        pytest.param(
            "postgresql://gw:s3cret@db:5432/audit",
            "postgresql://gw:***@db:5432/audit",
            id="dsn-password",
        ),
        pytest.param("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0", id="password-only"),
    ],
)
def test_numbers_and_url_passwords_are_masked_anywhere_in_values(value: str, expected: str) -> None:
    assert _guard(event="x", detail=value)["detail"] == expected


def test_integer_numbers_are_masked() -> None:
    assert _guard(event="x", value=54092000189 + 10**11)["value"] == "154*******89"


def test_personal_keys_are_dropped() -> None:
    """Names and birth dates cannot be recognised by shape, so their keys never pass."""
    event = _guard(event="x", full_name="Nguyễn Văn An", date_of_birth="1992-11-22", status=200)
    assert event == {"event": "x", "status": 200}


def test_nested_structures_are_guarded() -> None:
    event = _guard(event="x", context={"personal_id": "054092000189", "path": "/c/054092000189"})
    assert event["context"] == {"path": "/c/054*******89"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("trace_id", "0178fc40a2270afda1c20e939123470d", id="trace-id"),
        pytest.param("request_id", "5e2b123456789012ab34cd56ef78ab90", id="generated-request-id"),
        pytest.param(
            "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-123456789012abcd-01", id="header"
        ),
    ],
)
def test_hex_ids_keep_their_digit_runs(key: str, value: str) -> None:
    """Masking part of a trace id would break the correlation it exists for."""
    assert _guard(event="x", **{key: value})[key] == value


def test_a_callers_own_request_id_is_still_masked() -> None:
    assert _guard(event="x", request_id="req-054092000189")["request_id"] == "req-054*******89"


def test_sequences_are_guarded_element_by_element() -> None:
    event = _guard(event="x", ids=("054092000189", "ok"), people=[{"full_name": "A B", "n": 1}])
    assert event["ids"] == ["054*******89", "ok"]
    assert event["people"] == [{"n": 1}]


# --- the configuration -----------------------------------------------------------------------


def test_json_lines_carry_level_time_and_guarded_fields(capsys: pytest.CaptureFixture[str]) -> None:
    get_logger("test.json").info("looked_up", detail="054092000189", full_name="Nguyễn Văn An")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "looked_up"
    assert line["level"] == "info"
    assert str(line["timestamp"]).endswith("Z")
    assert line["detail"] == "054*******89"
    assert "full_name" not in line


def test_console_format_writes_text_not_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "console")
    get_logger("test.console").info("looked_up", detail="054092000189")
    err = capsys.readouterr().err
    assert "looked_up" in err
    assert "054*******89" in err
    assert not _json_lines(err)


@pytest.mark.parametrize(
    ("fmt", "tty", "console"),
    [
        pytest.param("auto", True, True, id="auto-on-a-terminal"),
        pytest.param("auto", False, False, id="auto-in-a-container"),
        pytest.param("json", True, False, id="json-forced"),
        pytest.param("console", False, True, id="console-forced"),
    ],
)
def test_auto_format_follows_the_terminal(
    monkeypatch: pytest.MonkeyPatch, fmt: str, tty: bool, console: bool
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert wants_console(fmt) is console  # type: ignore[arg-type]


def test_level_from_settings_drops_lower_events(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    log = get_logger("test.level")
    log.info("too_low")
    log.warning("high_enough")
    assert [line["event"] for line in _json_lines(capsys.readouterr().err)] == ["high_enough"]


def test_cached_logger_is_captured_after_reconfiguration() -> None:
    """A logger first used under one configuration still reaches capture_logs after another."""
    log = get_logger("test.cached")
    log.info("first_use")  # assembles and caches the bound logger
    configure_logging("info", "console")
    with capture_logs() as captured:
        log.info("after_reconfiguration")
    assert [event["event"] for event in captured] == ["after_reconfiguration"]


def test_configuring_again_inside_capture_logs_keeps_capturing() -> None:
    """Building an app inside capture_logs (create_app configures logging) loses no event."""
    with capture_logs() as captured:
        configure_logging("info", "json")
        get_logger("test.inside").info("still_captured")
    assert [event["event"] for event in captured] == ["still_captured"]


def test_cached_logger_writes_to_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger first used while stderr was swapped keeps working once that stream is closed."""
    log = get_logger("test.stream")
    first = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", first)
    log.info("to_first")
    second = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", second)
    first.close()
    log.info("to_second")
    second.flush()
    assert b'"event":"to_second"' in second.buffer.getvalue()


def test_standard_library_records_pass_the_guard(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn's and libraries' records, tracebacks included, are rendered and masked alike."""
    try:
        raise KeyError("054092000189")
    except KeyError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["logger"] == "uvicorn.error"
    assert line["level"] == "error"
    assert "054*******89" in str(line["exception"])
    assert "054092000189" not in str(line)


def test_uvicorns_own_logging_config_is_taken_back(capsys: pytest.CaptureFixture[str]) -> None:
    """``uvicorn --factory`` configures its loggers before the app exists; the app reclaims them."""
    uvicorn.Config(
        app="gateway.app:create_app", log_level="info"
    )  # installs uvicorn's handlers, stops propagation
    configure_logging("info", "json")
    logging.getLogger("uvicorn.error").error("cannot bind 054092000189")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "cannot bind 054*******89"


def test_per_request_library_lines_are_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    """request_completed is the access log: uvicorn's and httpx's INFO lines would repeat it."""
    logging.getLogger("uvicorn.access").info("GET /api/v1/citizens/x 200")
    logging.getLogger("httpx").info("HTTP Request: POST http://ngsp.test/ 200")
    assert _json_lines(capsys.readouterr().err) == []
