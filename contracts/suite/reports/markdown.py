"""The readiness report as Markdown: verdict, environment, checklist by concern, then evidence."""

from __future__ import annotations

from contracts.suite._model import CheckResult, RunReport, Status
from contracts.suite.reports.junit import evidence_lines

__all__ = ["render_markdown"]

MARKS = {Status.PASSED: "✅ pass", Status.FAILED: "❌ FAIL", Status.SKIPPED: "⏭ skipped"}
_EVIDENCE_LINES = 12


def render_markdown(report: RunReport) -> str:
    lines = [
        f"# {report.title}",
        "",
        f"**Verdict: {report.verdict}**",
        "",
        report.summary(),
        "",
        "## Environment",
        "",
        "| | |",
        "|---|---|",
        *(f"| {_cell(k)} | {_cell(v)} |" for k, v in report.environment_rows().items()),
    ]
    for concern, results in report.by_concern():
        lines += ["", f"## {concern.value.capitalize()}", "", "| check | what it proves | result |"]
        lines.append("|---|---|---|")
        lines += [_row(r) for r in results]
    lines += ["", "## Evidence", ""]
    for result in report.results:
        lines += _evidence(result)
    return "\n".join(lines) + "\n"


def _row(result: CheckResult) -> str:
    reason = "" if result.message == "ok" else f": {result.message}"
    return (
        f"| `{result.check_id}` | {_cell(result.proves)} | "
        f"{MARKS[result.status]}{_cell(reason)} ({result.elapsed_ms:.0f} ms) |"
    )


def _evidence(result: CheckResult) -> list[str]:
    lines = evidence_lines(result)
    if not lines:
        return []
    shown = lines[:_EVIDENCE_LINES]
    if len(lines) > len(shown):
        shown.append(f"… {len(lines) - len(shown)} more")
    return [
        f"### `{result.check_id}` ({result.status.value})",
        "",
        *(f"- {_cell(s)}" for s in shown),
        "",
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
