"""The lock files: every install (make, CI, Dockerfile) takes exact, hashed versions from them.

``make lock`` writes ``requirements/dev.txt`` (everything ``make test`` needs),
``requirements/runtime.txt`` (the image) and ``requirements/build.txt`` (the build backend).
These tests fail when pyproject.toml asks for something the locks do not satisfy, which is what
happens when a dependency is added or tightened without running ``make lock``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def locked(text: str) -> dict[str, str]:
    """Canonical package name → pinned version, from a ``uv pip compile`` output."""
    return {canonicalize_name(name): version for name, version in PINNED.findall(text)}


def declared(pyproject: str, *, extras: tuple[str, ...] = ()) -> list[Requirement]:
    project = tomllib.loads(pyproject)["project"]
    names = list(project["dependencies"])
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


def disagreements(requirements: list[Requirement], lock: dict[str, str]) -> list[str]:
    """What the lock fails to satisfy, one line per requirement (empty when it agrees)."""
    problems = []
    for requirement in requirements:
        version = lock.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name}: not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}: locked {version}, pyproject wants {requirement}")
    return problems


def read(relative: str) -> str:
    return (ROOT / relative).read_text("utf-8")


def test_dev_lock_satisfies_pyproject() -> None:
    """Runtime and dev dependencies are all in requirements/dev.txt, at allowed versions."""
    requirements = declared(read("pyproject.toml"), extras=("dev",))
    assert disagreements(requirements, locked(read("requirements/dev.txt"))) == []


def test_runtime_lock_satisfies_pyproject_without_dev_tools() -> None:
    """The image's lock has every runtime dependency and none of the test or lint tools."""
    runtime = locked(read("requirements/runtime.txt"))
    assert disagreements(declared(read("pyproject.toml")), runtime) == []
    assert not {"pytest", "ruff", "mypy", "hypothesis"} & set(runtime)


def test_runtime_and_dev_locks_pin_the_same_versions() -> None:
    """The image runs the versions CI tested: every shared package is pinned alike."""
    dev, runtime = locked(read("requirements/dev.txt")), locked(read("requirements/runtime.txt"))
    assert {
        name: (runtime[name], dev.get(name)) for name in runtime if dev.get(name) != runtime[name]
    } == {}


def test_build_backend_is_locked_to_the_build_system_requirement() -> None:
    build_system = tomllib.loads(read("pyproject.toml"))["build-system"]["requires"]
    requirements = [Requirement(name) for name in build_system]
    assert disagreements(requirements, locked(read("requirements/build.txt"))) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(('"tenacity>=9.0"', '"tenacity>=999"'), "tenacity: locked", id="tightened"),
        pytest.param(
            ('"tenacity>=9.0",', '"tenacity>=9.0",\n  "left-pad-py",'),
            "left-pad-py: not",
            id="added",
        ),
    ],
)
def test_a_pyproject_change_without_make_lock_is_caught(
    edit: tuple[str, str], expected: str
) -> None:
    """The check above is not vacuous: editing pyproject alone makes it report the package."""
    old, new = edit
    pyproject = read("pyproject.toml")
    assert old in pyproject
    problems = disagreements(
        declared(pyproject.replace(old, new)), locked(read("requirements/dev.txt"))
    )
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_every_lock_line_carries_a_hash() -> None:
    """``--require-hashes`` installs refuse a lock with an unhashed pin; catch it here first."""
    for name in ("dev", "runtime", "build"):
        text = read(f"requirements/{name}.txt")
        pins = len(PINNED.findall(text))
        assert pins > 0
        assert (
            len(re.findall(r"^[A-Za-z0-9][^\n]*==[^\n]*\\\n\s+--hash=sha256:", text, re.MULTILINE))
            == pins
        )


def test_make_and_ci_install_from_the_lock() -> None:
    """The Makefile's install step (used by make test, make run and .ci/run) reads the dev lock."""
    makefile = read("Makefile")
    assert "--require-hashes -r $(LOCK_DEV)" in makefile, "make install reads the dev lock"
    assert "--no-deps" in makefile
    assert "make test" in read(".ci/run") or "make check" in read(".ci/run")
    assert re.search(r"^PIP_VERSION := \d", makefile, re.MULTILINE), "pip itself is pinned"
