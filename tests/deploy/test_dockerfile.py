"""The Dockerfile, parsed: no Docker engine here, so its promises are checked as text.

That the image's commands actually serve is proved outside Docker: tests/e2e/test_processes.py
runs ``lgsp serve`` and ``lgsp mock --host ...`` as real processes, and tests/deploy/
test_scale_out.py runs two replicas behind nginx; here ``lgsp serve --help`` checks the entry point.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.processes import LGSP

ROOT = Path(__file__).resolve().parents[2]
Instruction = tuple[str, str]


def instructions(text: str) -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.strip() for line in joined.splitlines())
    parsed = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in parsed]


def stages(text: str) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            result.append([])
        result[-1].append((keyword, args))
    return result


@pytest.fixture(scope="module")
def dockerfile() -> list[list[Instruction]]:
    return stages((ROOT / "Dockerfile").read_text("utf-8"))


@pytest.fixture(scope="module")
def final(dockerfile: list[list[Instruction]]) -> dict[str, str]:
    """The final stage's last value of each keyword."""
    return dict(dockerfile[-1])


def test_build_is_multi_stage(dockerfile: list[list[Instruction]]) -> None:
    """A build stage with the toolchain, a runtime stage that only copies its result."""
    assert len(dockerfile) >= 2
    copies = [args for keyword, args in dockerfile[-1] if keyword == "COPY"]
    assert any(args.startswith("--from=") for args in copies)


@pytest.mark.parametrize("stage", [0, -1], ids=["build", "runtime"])
def test_base_is_slim_and_pinned(dockerfile: list[list[Instruction]], stage: int) -> None:
    """``python:3.11.<patch>-slim-<debian>``: reproducible, small, the machines' Python."""
    image = dockerfile[stage][0][1].split()[0]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", image), image


def test_runtime_runs_as_a_non_root_user(final: dict[str, str]) -> None:
    assert final["USER"] not in {"root", "0", "0:0"}


def test_runtime_installs_no_dev_dependencies(dockerfile: list[list[Instruction]]) -> None:
    """The runtime lock and the project without extras: no test, lint or type tools in the image."""
    installs = " ".join(a for stage in dockerfile for k, a in stage if k == "RUN")
    assert "--require-hashes -r requirements/runtime.txt" in installs
    assert re.search(r"pip install --no-deps [^&]*\.(\s|$)", installs)
    assert not re.search(r"pip install[^&]*\.\[", installs)
    assert not re.search(r"\b(pytest|ruff|mypy)\b", installs)


def test_healthcheck_probes_healthz(final: dict[str, str]) -> None:
    assert "/healthz" in final["HEALTHCHECK"]


def test_default_command_is_the_gateway(final: dict[str, str]) -> None:
    assert json.loads(final["CMD"]) == ["lgsp", "serve"]


def test_gateway_listens_on_all_interfaces(final: dict[str, str]) -> None:
    """Inside a container, 127.0.0.1 would be unreachable from the proxy."""
    assert "LGSP_HOST=0.0.0.0" in final["ENV"]


def test_mock_command_is_documented() -> None:
    """The alternative command, in the Dockerfile and in docs/deploy.md."""
    assert "lgsp mock --host 0.0.0.0" in (ROOT / "Dockerfile").read_text("utf-8")
    assert "lgsp mock --host 0.0.0.0" in (ROOT / "docs" / "deploy.md").read_text("utf-8")


@pytest.mark.parametrize("command", ["serve", "mock"])
def test_container_commands_exist(command: str) -> None:
    """The image's commands resolve in the CLI (``--help`` exits 0 and names ``--host``)."""
    result = subprocess.run(
        [*LGSP, command, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--host" in result.stdout
