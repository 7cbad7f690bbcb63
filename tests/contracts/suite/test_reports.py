"""The three report formats: parseable, complete, escaped, and honest about the verdict."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contracts.suite import redact, write_reports
from contracts.suite.reports import render_html, render_junit, render_markdown
from tests.contracts.suite.reports_fixture import sample_report


def test_junit_is_standard_and_counts_each_outcome(tmp_path: Path) -> None:
    """xml.etree (the stdlib, as CI tools do) reads one testsuite per concern."""
    root = ET.fromstring(render_junit(sample_report(failing=True)))  # noqa: S314 -- our own
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"data contract", "security", "resilience"}
    failure = root.find(".//testcase[@name='security.<script>']/failure")
    assert failure is not None
    assert failure.get("message") == "got <script>alert(1)</script>"
    assert root.find(".//testcase[@name='resilience.timeout']/skipped") is not None


def test_markdown_names_the_verdict_and_the_failed_checks() -> None:
    markdown = render_markdown(sample_report(failing=True))
    assert "**Verdict: NOT READY**" in markdown
    assert "Failed: security.<script>." in markdown
    assert "| `data.lookup` |" in markdown


@pytest.mark.parametrize(
    ("failing", "verdict"),
    [
        pytest.param(True, "NOT READY", id="failed"),
        pytest.param(False, "READY FOR GO-LIVE", id="ok"),
    ],
)
def test_verdict_ignores_optional_skips_but_not_failures(failing: bool, verdict: str) -> None:
    assert sample_report(failing=failing).verdict == verdict


def test_a_skipped_required_check_keeps_the_verdict_not_ready() -> None:
    report = sample_report(failing=False)
    report.results[2].required = True
    assert report.verdict == "NOT READY"
    assert "Required but not run: resilience.timeout." in report.summary()


def test_html_is_self_contained_and_escapes_everything() -> None:
    html = render_html(sample_report(failing=True))
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<style>" in html
    assert not re.search(r"<(link|script|img|iframe)\b|<[^>]*\s(src|href)=|@import|url\(", html)
    assert '<div class="verdict not-ready" id="verdict">NOT READY</div>' in html


def test_write_reports_puts_three_files_in_the_directory(tmp_path: Path) -> None:
    paths = write_reports(sample_report(failing=False), tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == [
        "contract-junit.xml",
        "readiness.html",
        "readiness.md",
    ]


def test_redact_masks_every_number_shape() -> None:
    assert redact("/api/v1/citizens/054092000123 and 221234567") == (
        "/api/v1/citizens/054*******23 and 221****67"
    )
    assert redact("request 20210623 at 1234567890123") == "request 20210623 at 1234567890123"
