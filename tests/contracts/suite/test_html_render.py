"""The HTML report renders in a real browser: headless Chromium from Debian's packages.

Skips when Chromium is absent, and fails instead when LGSP_REQUIRE_SERVICES=1 (as in CI, where
.ci/run installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from contracts.suite import write_reports
from tests.contracts.suite.reports_fixture import sample_report
from tests.services import require_or_skip

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        require_or_skip("chromium is not installed (apt-get install chromium)")
    return found


def dump_dom(page: Path, profile: Path) -> str:
    command = [
        chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode()


@pytest.mark.parametrize(
    ("failing", "verdict"),
    [
        pytest.param(False, "READY FOR GO-LIVE", id="ready"),
        pytest.param(True, "NOT READY", id="not-ready"),
    ],
)
def test_report_renders_with_its_verdict(tmp_path: Path, failing: bool, verdict: str) -> None:
    """The DOM Chromium built holds the verdict banner and every check's row."""
    page = write_reports(sample_report(failing=failing), tmp_path / "report")["html"]
    dom = dump_dom(page, tmp_path / "profile")
    assert f'id="verdict">{verdict}</div>' in dom
    assert 'id="data.lookup"' in dom
    assert 'id="resilience.timeout"' in dom
    assert "<script>alert" not in dom  # escaped text stayed text
