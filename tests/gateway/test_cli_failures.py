"""Every ``lgsp`` command in its failure modes: one line on stderr, no traceback, non-zero exit.

The commands run in-process through :func:`gateway.cli_errors.run` (what the ``lgsp`` entry point
calls), against a closed port (unreachable gateway or store), a small fake gateway that answers
problems (wrong id), and with a bad option or value.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from gateway.cli import app
from gateway.cli_errors import run
from gateway.jobs import DELIMITERS
from gateway.jobs.cli import DelimiterChoice
from tests.e2e.processes import free_port

CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens: bound, then released
PORTAL = ["--client-secret", "s", "--purpose", "1.001612", "--officer", "o-1"]
UNKNOWN_ID = "0" * 32
CMND = "221234567"  # a well-formed number: the store, not the argument, is what fails


class _FakeGateway(BaseHTTPRequestHandler):
    """A token for anyone; every jobs call answers the problem its id deserves."""

    def _answer(self) -> None:
        if self.path.startswith("/oauth2/token"):
            self._json(200, {"access_token": "t", "token_type": "Bearer", "expires_in": 600})
            return
        malformed = "/nope" in self.path
        code = "invalid_field" if malformed else "job_not_found"
        detail = "path parameter job_id: String should match pattern" if malformed else "no job"
        self._json(422 if malformed else 404, {"code": code, "detail": detail})

    do_GET = do_POST = do_DELETE = _answer

    def _json(self, status: int, body: dict[str, object]) -> None:
        payload = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:  # quiet: the test reads the CLI's stderr
        return


@pytest.fixture(scope="module")
def fake_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "register.csv"
    path.write_text("number\n123456789\n", encoding="utf-8")
    return path


def _jobs_commands(url: str, job_id: str) -> list[list[str]]:
    common = ["--url", url, *PORTAL]
    return [
        ["jobs", "list", "--url", url, "--client-secret", "s"],
        ["jobs", "status", job_id, "--url", url, "--client-secret", "s"],
        ["jobs", "cancel", job_id, "--url", url, "--client-secret", "s"],
        ["jobs", "erase", job_id, "--url", url, "--client-secret", "s"],
        ["jobs", "watch", job_id, *common],
        ["jobs", "results", job_id, *common, "--output", "never-written.csv"],
    ]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        run(app, ["lgsp", *argv])
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def _assert_one_line_failure(code: int, err: str, *expected: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("lgsp: "), err
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("argv", _jobs_commands(CLOSED, UNKNOWN_ID), ids=lambda a: " ".join(a[:2]))
def test_unreachable_gateway_is_named_with_its_url(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_one_line_failure(*_run(argv, capsys), CLOSED, "is the gateway running")


def test_verify_batch_against_an_unreachable_gateway(
    register: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["verify-batch", str(register), "--url", CLOSED, *PORTAL]
    _assert_one_line_failure(*_run(argv, capsys), CLOSED)


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        pytest.param("nope", "422 invalid_field: path parameter job_id", id="malformed"),
        pytest.param(UNKNOWN_ID, "404 job_not_found", id="unknown"),
    ],
)
def test_a_wrong_job_id_says_malformed_or_unknown(
    fake_gateway: str, job_id: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in _jobs_commands(fake_gateway, job_id)[1:]:
        _assert_one_line_failure(*_run(argv, capsys), expected)


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus"],
        ["nope"],
        ["serve", "--port", "many"],
        ["openapi", "--bogus"],
        ["verify-batch", "/no/such/register.csv", *PORTAL],
        ["jobs", "list", "--bogus"],
        ["verify-batch", "pyproject.toml", "--delimiter", "|", *PORTAL],
        ["jobs", "status"],
        ["audit", "search", "--outcome", "sucess"],
        ["audit", "search", "--operation", "lookpu"],
        ["audit", "search", "--limit", "0"],
        ["audit", "search", "--since", "yesterday", "--hmac-key", "k"],
        ["audit", "verify", "--bogus"],
        ["audit", "export", "--format", "xml"],
        ["audit", "purge", "--bogus"],
        ["maintenance", "on", "--retry-after", "0"],
        ["maintenance", "status", "--bogus"],
        ["clients", "list", "--bogus"],
        ["contract", "run", "--bogus"],
    ],
    ids=" ".join,
)
def test_a_bad_option_or_value_is_one_line_with_where_to_look(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(argv, capsys)
    _assert_one_line_failure(code, err, "--help")
    assert code == 2


@pytest.mark.parametrize(
    "command", ["verify", "search", "export", "purge", "subject"], ids=lambda c: f"audit {c}"
)
def test_an_unreachable_audit_store_is_named_with_host_and_port(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = "postgresql://u:pw@127.0.0.1:1/audit"
    argv = ["audit", command, "--dsn", dsn, "--hmac-key", "k" * 32]
    purge = ["--older-than", "30d", "--export", str(tmp_path / "purged.jsonl"), "--yes"]
    extra = {"export": ["--output", str(tmp_path / "x.csv")], "purge": purge, "subject": [CMND]}
    code, err = _run([*argv, *extra.get(command, [])], capsys)
    _assert_one_line_failure(code, err, "audit store unavailable", "127.0.0.1", "1")
    assert ":pw@" not in err


def test_an_invalid_client_names_each_bad_field_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was pydantic's multi-line dump with a documentation URL."""
    argv = ["clients", "add", "Bad Id!", "--name", "n", "--agency", "a", "--operations", "lookup"]
    code, err = _run([*argv, "--file", str(tmp_path / "clients.yaml")], capsys)
    _assert_one_line_failure(code, err, "client_id", "agency_code")
    assert code == 2


@pytest.mark.parametrize(
    "command", ["verify", "search", "export", "subject"], ids=lambda c: f"audit {c}"
)
def test_a_mistyped_sqlite_path_is_refused_not_created_and_verified_empty(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit verify` on a wrong path created an empty database and said every chain was ok."""
    missing = tmp_path / "no-such-dir" / "audit.sqlite3"
    argv = ["audit", command, "--dsn", f"sqlite:///{missing}", "--hmac-key", "k" * 32]
    extra = {"export": ["--output", str(tmp_path / "x.csv")], "subject": [CMND]}.get(command, [])
    code, err = _run([*argv, *extra], capsys)
    _assert_one_line_failure(code, err, "no audit database at", str(missing))
    assert code == 3
    assert not missing.parent.exists()


def test_maintenance_without_a_flag_file_says_which_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LGSP_MAINTENANCE_FILE", raising=False)
    _assert_one_line_failure(*_run(["maintenance", "status"], capsys), "LGSP_MAINTENANCE_FILE")


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """--debug is for whoever must see inside: the exception itself escapes."""
    with pytest.raises(Exception, match="onnect"):
        run(app, ["lgsp", "--debug", *_jobs_commands(CLOSED, UNKNOWN_ID)[0]])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(app, ["lgsp", "--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("lgsp ")


def test_lists_are_tsv_with_whole_ids_when_piped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids were cut (`dvc-phuy…`) when piped: TSV keeps every cell whole."""
    clients = tmp_path / "clients.yaml"
    long_id = "dvc-phu-yen-" + "x" * 48  # 60 characters: a table column would cut it
    run_ok = ["clients", "add", long_id, "--file", str(clients), "--name", "Phú Yên portal"]
    with pytest.raises(SystemExit):
        run(app, ["lgsp", *run_ok, "--agency", "000.00.00.H45", "--operations", "lookup"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        run(app, ["lgsp", "clients", "list", "--file", str(clients)])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[0] == "client_id"
    assert lines[1].split("\t")[0] == long_id
    with pytest.raises(SystemExit):
        run(app, ["lgsp", "clients", "list", "--file", str(clients), "--json"])
    listed = orjson.loads(capsys.readouterr().out)["clients"]
    assert [c["client_id"] for c in listed] == [long_id]
    assert "secret_hash" not in listed[0]


def test_delimiter_choices_are_the_ones_the_gateway_reads() -> None:
    assert {choice.value for choice in DelimiterChoice} == set(DELIMITERS)


def test_log_lines_of_a_command_go_to_stderr_and_leave_its_output_alone() -> None:
    """``lgsp … --json | jq`` must read only the command's answer: a store a command opens may
    log, and those lines go to stderr, warnings and worse only (``--debug`` shows the rest)."""
    probe = (
        "import structlog\n"
        "from gateway.cli import configure_cli_logging\n"
        "configure_cli_logging(['lgsp', 'audit', 'search'])\n"
        "log = structlog.get_logger('probe')\n"
        "log.info('probe_info')\n"
        "log.warning('probe_warning')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == ""
    assert "probe_warning" in done.stderr
    assert "probe_info" not in done.stderr
