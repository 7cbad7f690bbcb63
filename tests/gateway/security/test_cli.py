"""``lgsp clients``: the registry file an operator manages from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app
from gateway.security.clients import ClientRegistry, FieldSet, Operation
from gateway.security.secret_hash import legacy_hash

_SECRET = re.compile(r"client_secret: (\S+)")


def lgsp(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def add(path: Path, client_id: str = "dvc-phuyen") -> str:
    code, output = lgsp(
        "clients",
        "add",
        client_id,
        "--name",
        "Cổng DVC Phú Yên",
        "--agency",
        "000.00.00.H45",
        "--operations",
        "lookup,household",
        "--field-set",
        "full",
        "--file",
        str(path),
    )
    assert code == 0, output
    match = _SECRET.search(output)
    assert match is not None
    return match.group(1)


def test_add_prints_a_secret_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    secret = add(path)
    record = ClientRegistry(path).get("dvc-phuyen")
    assert record is not None
    assert secret not in path.read_text()
    assert record.verify_secret(secret)
    assert record.operations == {Operation.LOOKUP, Operation.HOUSEHOLD}
    assert record.field_set is FieldSet.FULL


def test_rotate_secret_retires_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    old = add(path)
    code, output = lgsp("clients", "rotate-secret", "dvc-phuyen", "--file", str(path))
    assert code == 0
    new = _SECRET.search(output).group(1)  # type: ignore[union-attr]
    record = ClientRegistry(path).get("dvc-phuyen")
    assert record is not None
    assert (record.verify_secret(old), record.verify_secret(new)) == (False, True)
    assert record.secret_version == 2


def test_disable_and_enable(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    add(path)
    lgsp("clients", "disable", "dvc-phuyen", "--file", str(path))
    assert ClientRegistry(path).get("dvc-phuyen").enabled is False  # type: ignore[union-attr]
    lgsp("clients", "enable", "dvc-phuyen", "--file", str(path))
    assert ClientRegistry(path).get("dvc-phuyen").enabled is True  # type: ignore[union-attr]


def test_invalid_agency_code_is_refused(tmp_path: Path) -> None:
    code, output = lgsp(
        "clients",
        "add",
        "bad-one",
        "--name",
        "x",
        "--agency",
        "123",
        "--file",
        str(tmp_path / "clients.yaml"),
    )
    assert code == 2
    assert "000.00.00.H45" in output


def test_adding_an_existing_client_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    add(path)
    code, _ = lgsp(
        "clients",
        "add",
        "dvc-phuyen",
        "--name",
        "again",
        "--agency",
        "000.00.00.H45",
        "--file",
        str(path),
    )
    assert code == 1


def test_rotation_moves_an_old_argon2_entry_to_the_fast_form(tmp_path: Path) -> None:
    """Registries written before keep working; rotating the secret migrates the entry."""
    path = tmp_path / "clients.yaml"
    add(path)
    registry = ClientRegistry(path)
    (record,) = registry.all()
    registry.save([record.model_copy(update={"secret_hash": legacy_hash("old-secret")})])
    _, listing = lgsp("clients", "list", "--file", str(path))
    assert "rotate" in listing
    code, output = lgsp("clients", "rotate-secret", "dvc-phuyen", "--file", str(path))
    assert code == 0, output
    rotated = ClientRegistry(path).get("dvc-phuyen")
    assert rotated is not None
    assert rotated.secret_hash.startswith("hmac-sha256$")
    assert rotated.verify_secret(_SECRET.search(output).group(1))  # type: ignore[union-attr]
