"""The contract suite: proves a deployment honours the contract on both sides, over HTTP only.

It imports nothing of ``gateway``, ``adapters`` or ``mocks``: it runs against any deployment by
URL. ``run_suite`` checks a gateway (``lgsp contract run``), ``verify_ngsp`` an NGSP endpoint
(``lgsp contract verify-ngsp``), ``diff_openapi`` two OpenAPI documents (``lgsp contract
diff-openapi``); ``write_reports`` renders a run as JUnit XML, Markdown and HTML.
docs/contract-suite.md is the manual.
"""

from contracts.suite._context import Credentials, SuiteConfig
from contracts.suite._model import CheckResult, Concern, Exchange, RunReport, Status, redact
from contracts.suite._openapi import COMMITTED_OPENAPI, OpenApiContract
from contracts.suite._registry import CHECKS
from contracts.suite._runner import SUITE_VERSION, run_suite
from contracts.suite.diff import Break, diff_openapi
from contracts.suite.ngsp import NgspConfig, verify_ngsp
from contracts.suite.ngsp._checks import NGSP_CHECKS
from contracts.suite.reports import write_reports

__all__ = [
    "CHECKS",
    "COMMITTED_OPENAPI",
    "NGSP_CHECKS",
    "SUITE_VERSION",
    "Break",
    "CheckResult",
    "Concern",
    "Credentials",
    "Exchange",
    "NgspConfig",
    "OpenApiContract",
    "RunReport",
    "Status",
    "SuiteConfig",
    "diff_openapi",
    "redact",
    "run_suite",
    "verify_ngsp",
    "write_reports",
]
