"""The peer tool's verdict and the run's spec coverage, after every other check.

``data.peer-conformance`` runs Schemathesis, as an integrator would, against the target with the
suite's own identities and citizens and the committed configuration
(contracts/suite/schemathesis.toml: its documented exceptions, each with its reason):
``--checks all`` and the examples, coverage, fuzzing and stateful phases. ``data.spec-coverage``
then counts which documented (operation, status) pairs the whole run, Schemathesis included,
saw answered: the readiness report's measure of what its verdict rests on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from contracts.suite._context import CheckFailed, CheckSkipped, RunContext, expect
from contracts.suite._facts import Fact
from contracts.suite._model import Concern
from contracts.suite._registry import Phase, check
from contracts.suite.coverage import spec_coverage

D = Concern.DATA_CONTRACT
CONFIG = Path(__file__).parents[1] / "schemathesis.toml"
CITIZENS = "schemathesis-citizens.dict"
PHASES = "examples,coverage,fuzzing,stateful"
_RUN_LIMIT_S = 600


def _schemathesis() -> str | None:
    beside = Path(sys.executable).with_name("schemathesis")
    return str(beside) if beside.exists() else shutil.which("schemathesis")


def _citizens(ctx: RunContext) -> str:
    """The run's known citizens as a libFuzzer dictionary (what the configuration reads)."""
    numbers = [ctx.facts.citizen, ctx.facts.cmnd]
    return "".join(f'"{number}"\n' for number in numbers if number)


def _command(ctx: RunContext, exe: str, config: Path, har: Path) -> list[str]:
    command = [exe, "--no-color", "--config-file", str(config), "run"]
    command += [f"{ctx.config.gateway_url.rstrip('/')}/openapi.json", "--checks", "all"]
    command += ["--exclude-checks", "use_after_free", "--phases", PHASES]
    command += ["--max-examples", "5", "--seed", "22", "--report", "har"]
    command += ["--report-har-path", str(har)]
    # Not the token endpoint: its refusals are security.bad-credentials' and
    # security.malformed-token-request's, and hundreds of fuzzed wrong credentials would spend
    # the tester's own per-address failure budget (docs/security.md): every later check, and
    # the next run for a minute, would get 429 auth_throttled.
    command += ["--exclude-operation-id", "issueToken"]
    if ctx.identity("auditor") is None:
        command += ["--exclude-tag", "audit"]  # no auditor: those answers would all be 403
    return command


def _environment(ctx: RunContext) -> dict[str, str]:
    """What the configuration reads from the environment: tokens and purpose headers."""
    auditor = ctx.token("auditor") if ctx.identity("auditor") is not None else ""
    return {
        **os.environ,
        "LGSP_ST_TOKEN": ctx.token("client"),
        "LGSP_ST_AUDITOR_TOKEN": auditor,
        "LGSP_ST_PURPOSE_CODE": ctx.config.purpose_code,
        "LGSP_ST_OFFICER_ID": ctx.config.officer_id,
    }


def _answers(har: Path, base_path: str) -> Iterator[tuple[str, str, int]]:
    """(method, path, status) of every exchange in Schemathesis's HAR report."""
    if not har.exists():
        return
    for entry in json.loads(har.read_text(encoding="utf-8")).get("log", {}).get("entries", []):
        path = urlsplit(entry["request"]["url"]).path.removeprefix(base_path) or "/"
        yield entry["request"]["method"], path, int(entry["response"]["status"])


def _verdict_lines(output: str) -> list[str]:
    marks = ("ST", "❌", "⚠", "=====")
    lines = [line.strip() for line in output.splitlines()]
    return [line for line in lines if line.startswith(marks) and "SUMMARY" not in line][-20:]


@check(
    "data.peer-conformance",
    D,
    "Schemathesis finds no mismatch between the OpenAPI and the gateway",
    "Schemathesis (--checks all; examples, coverage, fuzzing and stateful phases through the "
    "OpenAPI links) with the suite's portal and auditor, purpose headers and known citizens, "
    "reports no failure and no failed authentication (contracts/suite/schemathesis.toml lists "
    "the documented exceptions).",
    needs=(Fact.CITIZEN,),
    required=False,
    produces=(Fact.PEER_ANSWERS,),
    phase=Phase.PEER,
)
def peer_conformance(ctx: RunContext) -> None:
    exe = _schemathesis()
    if exe is None:
        raise CheckSkipped("Schemathesis is not installed here (pip install schemathesis)")
    with tempfile.TemporaryDirectory(prefix="lgsp-st-") as tmp:
        workdir = Path(tmp)
        config = Path(shutil.copy(CONFIG, workdir / CONFIG.name))
        (workdir / CITIZENS).write_text(_citizens(ctx), encoding="utf-8")
        har = workdir / "run.har"
        try:
            result = subprocess.run(  # noqa: S603 -- our argv: the tool and our options
                _command(ctx, exe, config, har),
                cwd=workdir,
                env=_environment(ctx),
                capture_output=True,
                text=True,
                timeout=_RUN_LIMIT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckFailed(f"Schemathesis did not finish within {_RUN_LIMIT_S} s") from exc
        base_path = urlsplit(ctx.config.gateway_url).path.rstrip("/")
        answers = ctx.facts.peer_answers = list(_answers(har, base_path))
    for line in _verdict_lines(result.stdout):
        ctx.note(line)
    ctx.note(f"{len(answers)} Schemathesis calls recorded")
    expect(result.returncode == 0, "Schemathesis reported failures (see the notes)")


@check(
    "data.spec-coverage",
    D,
    "Spec coverage: documented operations and statuses the run exercised",
    "Counts the documented (operation, status) pairs of the OpenAPI that the run, Schemathesis "
    "included, saw answered, and lists per operation the statuses never seen. Informative: it "
    "passes whatever the figure, so the verdict's reach is visible next to the verdict.",
    required=False,
    produces=(Fact.SPEC_COVERAGE,),
    phase=Phase.TALLY,
)
def spec_coverage_check(ctx: RunContext) -> None:
    own = [(e.method, e.path, e.status) for e in ctx.exchanges]
    coverage = spec_coverage(ctx.contract.document, [*own, *(ctx.facts.peer_answers or [])])
    ctx.facts.spec_coverage = coverage.summary()
    ctx.note(coverage.summary())
    for row in coverage.rows():
        ctx.note(row)
