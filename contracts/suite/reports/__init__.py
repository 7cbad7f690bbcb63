"""The run's reports: JUnit XML for CI, Markdown for reviews, and a self-contained HTML page.

``write_reports`` writes all three into one directory, under fixed names, and returns their paths.
"""

from __future__ import annotations

from pathlib import Path

from contracts.suite._model import RunReport
from contracts.suite.reports.html import render_html
from contracts.suite.reports.junit import render_junit
from contracts.suite.reports.markdown import render_markdown

__all__ = ["render_html", "render_junit", "render_markdown", "write_reports"]

FILE_NAMES = {"junit": "contract-junit.xml", "markdown": "readiness.md", "html": "readiness.html"}


def write_reports(report: RunReport, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    rendered = {
        "junit": render_junit(report),
        "markdown": render_markdown(report).encode("utf-8"),
        "html": render_html(report).encode("utf-8"),
    }
    paths = {kind: directory / FILE_NAMES[kind] for kind in rendered}
    for kind, content in rendered.items():
        paths[kind].write_bytes(content)
    return paths
