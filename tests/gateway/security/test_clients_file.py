"""The clients file: a bad edit never takes the registry down, and no message shows a hash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from gateway.runtime import StartupFailed, build_runtime
from gateway.security.clients import (
    ClientRecord,
    ClientRegistry,
    ClientsFileError,
    load_clients,
    save_clients,
)
from gateway.settings import Settings
from tests.clients import client_record

PLANTED = "PLANTED-hash-value-4f2a"


def _portal(client_id: str = "portal") -> ClientRecord:
    return client_record(client_id, secret="s", name="Portal")


def _bump_mtime(path: Path) -> None:
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def test_a_bad_edit_keeps_the_last_good_registry_and_says_so_once(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    save_clients(path, [_portal()])
    registry = ClientRegistry(path)
    assert registry.get("portal") is not None
    path.write_text(f"clients:\n  - client_id: portal\n    secret_hash: {PLANTED}\n", "utf-8")
    _bump_mtime(path)
    with capture_logs() as logs:
        assert registry.get("portal") is not None  # still served: one bad edit refuses nobody
        assert registry.get("portal") is not None
    events = [e for e in logs if e["event"] == "clients_file_invalid"]
    assert len(events) == 1
    assert PLANTED not in repr(logs)
    assert registry.problem is not None
    assert "client 1" in registry.problem
    save_clients(path, [_portal(), _portal("second")])
    _bump_mtime(path)
    assert registry.get("second") is not None
    assert registry.problem is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("clients: [\n", "not valid YAML at line", id="not-yaml"),
        pytest.param("- just\n- a list\n", "expected a mapping", id="not-a-mapping"),
        pytest.param(
            f"clients:\n  - client_id: p\n    agency_code: {PLANTED}\n    secret_hash: x\n",
            "agency_code: agency code must look like 000.00.00.H45",
            id="invalid-field",
        ),
    ],
)
def test_a_file_error_names_where_never_what(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ClientsFileError) as refused:
        load_clients(path)
    assert reason in refused.value.reason
    assert PLANTED not in str(refused.value)
    assert refused.value.__cause__ is None  # no chained exception carrying the input


async def test_a_missing_clients_file_refuses_the_start(tmp_path: Path) -> None:
    """A production gateway used to start on a missing file with no client at all, silently."""
    settings = Settings(
        clients_file=tmp_path / "clients.yaml",
        audit_dsn=f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        jobs_dsn=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
    )
    runtime = build_runtime(settings)
    try:
        with pytest.raises(StartupFailed) as refused:
            await runtime.start()
    finally:
        await runtime.close()
    assert refused.value.variable == "LGSP_CLIENTS_FILE"
    assert "no such file" in refused.value.cause
