"""The readiness report as one self-contained HTML page: inline CSS, no script, no external asset.

Every piece of text from the run goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape

from contracts.suite._model import CheckResult, RunReport, Status
from contracts.suite.reports.junit import evidence_lines

__all__ = ["render_html"]

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#1d2329;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
h2{margin-top:1.6em;border-bottom:1px solid #ccd;padding-bottom:.2em}
.verdict{font-size:1.5em;font-weight:700;padding:.6em 1em;border-radius:6px;margin:1em 0}
.ready{background:#e3f6e8;color:#14632d;border:2px solid #2e9c4f}
.not-ready{background:#fde8e8;color:#8a1313;border:2px solid #c53030}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #d5dae0;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f2f4f7}code{font-family:ui-monospace,monospace;font-size:.92em}
.passed{color:#14632d;font-weight:600}.failed{color:#b00020;font-weight:700}
.skipped{color:#6b6b00;font-weight:600}details{margin:.2em 0}
details ul{margin:.3em 0 .3em 1.2em;padding:0;font-size:.9em}.muted{color:#5b6570}
"""
_LABELS = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIPPED"}


def render_html(report: RunReport) -> str:
    verdict_class = "ready" if report.ready else "not-ready"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}: {escape(report.verdict)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="muted">Contract suite {escape(report.suite_version)} against '
        f"<code>{escape(report.target)}</code></p>",
        f'<div class="verdict {verdict_class}" id="verdict">{escape(report.verdict)}</div>',
        f"<p>{escape(report.summary())}</p>",
        "<h2>Environment</h2><table>",
        *(
            f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
            for k, v in report.environment_rows().items()
        ),
        "</table>",
    ]
    for concern, results in report.by_concern():
        parts += [
            f"<h2>{escape(concern.value.capitalize())}</h2>",
            "<table><tr><th>check</th><th>what it proves</th><th>result</th><th>evidence</th></tr>",
            *(_row(r) for r in results),
            "</table>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(result: CheckResult) -> str:
    status = result.status
    reason = "" if result.message == "ok" else f"<br>{escape(result.message)}"
    return (
        f'<tr id="{escape(result.check_id)}"><td><code>{escape(result.check_id)}</code><br>'
        f"{escape(result.title)}</td><td>{escape(result.proves)}</td>"
        f'<td><span class="{status.value}">{_LABELS[status]}</span>{reason}'
        f'<br><span class="muted">{result.elapsed_ms:.0f} ms</span></td>'
        f"<td>{_evidence(result)}</td></tr>"
    )


def _evidence(result: CheckResult) -> str:
    lines = evidence_lines(result)
    if not lines:
        return '<span class="muted">—</span>'
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f"<details><summary>{len(lines)} item(s)</summary><ul>{items}</ul></details>"
