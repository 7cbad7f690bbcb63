"""The tests' folders mirror the packages, so the tests of a module are found where it lives.

``tests/gateway/jobs/`` holds the tests of ``gateway/jobs/``, ``tests/adapters/ngsp/`` those of
``adapters/ngsp/``. Only the cross-cutting folders (whole processes, deployment files) have no
package of their own.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CROSS_CUTTING = {"e2e", "deploy"}


def _test_folders() -> list[Path]:
    folders = {path.parent for path in TESTS.rglob("test_*.py")}
    return sorted(folder.relative_to(TESTS) for folder in folders if folder != TESTS)


def test_every_test_folder_names_a_package() -> None:
    orphans = [
        str(folder)
        for folder in _test_folders()
        if folder.parts[0] not in CROSS_CUTTING and not (ROOT / folder / "__init__.py").is_file()
    ]
    assert not orphans, f"test folders without a package of the same path: {orphans}"


def test_the_folders_are_checked() -> None:
    """The walk finds nested folders, so an empty list is not a pass by accident."""
    found = {str(folder) for folder in _test_folders()}
    assert {"adapters/ngsp", "gateway/jobs", "contracts/suite", "mocks/soap"} <= found
