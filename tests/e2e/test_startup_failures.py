"""A store that cannot be opened at start: one log line naming it, no traceback, non-zero exit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.e2e.processes import LGSP, free_port

pytestmark = pytest.mark.process


@pytest.mark.parametrize(
    ("variable", "dsn", "target"),
    [
        pytest.param(
            "LGSP_AUDIT_DSN",
            "postgresql://gw:s3cret@127.0.0.1:1/audit",
            "127.0.0.1:1/audit",
            id="audit-postgres-unreachable",
        ),
        pytest.param(
            "LGSP_JOBS_DSN",
            "postgresql://gw:s3cret@127.0.0.1:1/jobs",
            "127.0.0.1:1/jobs",
            id="jobs-postgres-unreachable",
        ),
        pytest.param(
            "LGSP_AUDIT_DSN",
            "sqlite:////proc/no-such-dir/audit.sqlite3",
            "/proc/no-such-dir/audit.sqlite3",
            id="audit-sqlite-directory-missing",
        ),
    ],
)
def test_an_unreachable_store_at_start_is_one_line_naming_it(
    tmp_path: Path, variable: str, dsn: str, target: str
) -> None:
    """Was a 93-line traceback folded into one JSON field, without host, port or variable."""
    env = {
        "LGSP_AUDIT_DSN": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "LGSP_LOG_FORMAT": "json",
        variable: dsn,
    }
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, timeout=60, check=False
    )
    output = (done.stdout + done.stderr).decode()
    events = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    failed = [e for e in events if e["event"] == "gateway_start_failed"]
    assert done.returncode != 0
    assert "Traceback" not in output
    assert "s3cret" not in output
    assert len(failed) == 1, output
    assert (failed[0]["target"], failed[0]["variable"]) == (target, variable)
