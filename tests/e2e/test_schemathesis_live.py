"""Schemathesis, as an integrator runs it, against real gateway and mock processes: 0 failures.

The CLI runs with the committed configuration (contracts/suite/schemathesis.toml: tokens, purpose
headers, known citizens, the documented exceptions), ``--checks all`` and the examples, coverage,
fuzzing and stateful phases. Once with a full portal and the auditor (audit operations), once
with a basic portal on the operations it is granted. Examples are capped and the seed fixed: the
run is bounded (about 20-40 s on a loaded machine) and repeatable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.suite import COMMITTED_OPENAPI
from tests.conftest import PURPOSE_HEADERS
from tests.e2e.processes import gateway_and_mock

pytestmark = pytest.mark.process

CONFIG = COMMITTED_OPENAPI.parents[1] / "suite" / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
PHASES = "examples,coverage,fuzzing,stateful"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    # The configuration's known citizens are the dev stack's: the same seed and size.
    workdir = tmp_path_factory.mktemp("schemathesis")
    # Schemathesis sends the token endpoint hundreds of wrong credentials from 127.0.0.1; the
    # per-address budget (docs/security.md) would then refuse the next test's right ones too.
    throttle = {"LGSP_AUTH_FAILURES_PER_ADDRESS": "10000"}
    with gateway_and_mock(workdir, LGSP_MOCK_POPULATION_SIZE="1000000", **throttle) as urls:
        yield urls


def _token(gateway_url: str, client_id: str, secret: str) -> str:
    response = httpx.post(
        f"{gateway_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _run(gateway_url: str, token: str, auditor_token: str, cwd: Path, *options: str) -> str:
    """The CLI's output; the assertion shows it when the run fails. ``cwd`` gets its cache."""
    env = {
        **os.environ,
        "LGSP_ST_TOKEN": token,
        "LGSP_ST_AUDITOR_TOKEN": auditor_token,
        "LGSP_ST_PURPOSE_CODE": PURPOSE_HEADERS["X-Purpose-Code"],
        "LGSP_ST_OFFICER_ID": PURPOSE_HEADERS["X-Officer-Id"],
    }
    command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(CONFIG), "run"]
    command += [f"{gateway_url}/openapi.json", "--checks", "all"]
    command += ["--exclude-checks", "use_after_free", "--seed", "22"]
    result = subprocess.run(
        [*command, *options],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result.stdout


def test_the_configured_citizens_exist_on_the_stack(servers: tuple[str, str]) -> None:
    """Otherwise look-ups would only ever see 404 ("missing test data")."""
    _, mock_url = servers
    entry = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["dictionaries"]["citizens"]
    lines = (CONFIG.parent / entry["from-file"]).read_text(encoding="utf-8").splitlines()
    known = {line.strip('"') for line in lines if line.startswith('"')}
    people = httpx.get(f"{mock_url}/__admin/citizens/sample", params={"n": 2}).json()
    assert {p["personal_id"] for p in people} <= known


def test_full_portal_and_auditor_find_no_mismatch(servers: tuple[str, str], tmp_path: Path) -> None:
    gateway_url, _ = servers
    token = _token(gateway_url, "demo-portal", "demo-secret")
    auditor = _token(gateway_url, "demo-auditor", "demo-auditor-secret")
    output = _run(gateway_url, token, auditor, tmp_path, "--max-examples", "5", "--phases", PHASES)
    assert "No issues found" in output or " passed" in output, output[-3000:]


def test_basic_portal_finds_no_mismatch_on_what_it_is_granted(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    """Data minimisation changes the answers' fields: they must still match the schemas.

    It keeps to the client's rate (5/s, burst 10) as a portal should: the gateway counts every
    request, malformed ones too, so a faster run sees 429 where a header check was due. Examples
    and fuzzing only: the full portal's run already covers headers (coverage) and links
    (stateful), which do not depend on the field set.
    """
    gateway_url, _ = servers
    token = _token(gateway_url, "demo-basic", "demo-basic-secret")
    auditor = _token(gateway_url, "demo-auditor", "demo-auditor-secret")
    granted = ["--include-operation-id", "lookupCitizen", "--include-operation-id", "verifyCitizen"]
    phases = ["--phases", "examples,fuzzing", "--rate-limit", "4/s"]
    _run(gateway_url, token, auditor, tmp_path, "--max-examples", "3", *phases, *granted)
