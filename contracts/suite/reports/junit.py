"""JUnit XML: one ``testsuite`` per concern, one ``testcase`` per check (what CI systems parse).

Failed checks carry a ``failure`` element (message = the reason, text = the evidence), skipped
ones a ``skipped`` element; the evidence also goes to ``system-out`` for passed checks.
"""

from __future__ import annotations

from lxml import etree

from contracts.suite._model import CheckResult, RunReport, Status

__all__ = ["render_junit"]


def render_junit(report: RunReport) -> bytes:
    counts = report.counts()
    root = etree.Element(
        "testsuites",
        name=f"LGSP contract suite {report.suite_version}",
        tests=str(len(report.results)),
        failures=str(counts[Status.FAILED]),
        skipped=str(counts[Status.SKIPPED]),
        errors="0",
        time=_seconds(sum(r.elapsed_ms for r in report.results)),
    )
    for concern, results in report.by_concern():
        suite = etree.SubElement(
            root,
            "testsuite",
            name=concern.value,
            tests=str(len(results)),
            failures=str(sum(r.status is Status.FAILED for r in results)),
            skipped=str(sum(r.status is Status.SKIPPED for r in results)),
            errors="0",
            time=_seconds(sum(r.elapsed_ms for r in results)),
            timestamp=report.started_at.isoformat(timespec="seconds"),
        )
        for result in results:
            _testcase(suite, concern.value, result)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _testcase(suite: etree._Element, concern: str, result: CheckResult) -> None:
    case = etree.SubElement(
        suite,
        "testcase",
        classname=f"contract.{concern.replace(' ', '_')}",
        name=result.check_id,
        time=_seconds(result.elapsed_ms),
    )
    evidence = "\n".join(evidence_lines(result))
    if result.status is Status.FAILED:
        failure = etree.SubElement(case, "failure", message=result.message, type="ContractBroken")
        failure.text = evidence
    elif result.status is Status.SKIPPED:
        etree.SubElement(case, "skipped", message=result.message)
    else:
        etree.SubElement(case, "system-out").text = evidence


def evidence_lines(result: CheckResult) -> list[str]:
    """The evidence of one check as plain lines: notes, then the calls made."""
    return [*result.notes, *(e.describe() for e in result.exchanges)]


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.3f}"
