"""The registry of portal systems allowed to call the gateway.

Each client is a calling system (a provincial portal, a one-stop system) with an agency code in the
QCVN 102:2016 format, a secret kept only as a salted hash (``gateway.security.secret_hash``), the
operations it was granted, the field set it may receive, and its rate. The registry lives in a
YAML file (``LGSP_CLIENTS_FILE``) that ``lgsp clients …`` edits; a running gateway notices the
file changed and reloads it, so a disabled client or a rotated secret takes effect at once. In dev
mode with no file, only the demo client ``demo-portal`` / ``demo-secret`` exists.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.logs import get_logger
from gateway.security.secret_hash import hash_secret, new_secret, verify_secret

__all__ = [
    "AGENCY_CODE",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "ClientRecord",
    "ClientRegistry",
    "ClientsFileError",
    "FieldSet",
    "Operation",
    "demo_client",
    "demo_clients",
    "hash_secret",
    "new_secret",
]

DEMO_CLIENT_ID = "demo-portal"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 -- exists only in dev mode, documented in README
# Two more dev-only identities, so the contract suite runs against `make run` as it is: a portal
# without addresses or sensitive fields, and an auditor (README, "For integration testers").
DEMO_BASIC_ID, DEMO_BASIC_SECRET = "demo-basic", "demo-basic-secret"
DEMO_AUDITOR_ID, DEMO_AUDITOR_SECRET = "demo-auditor", "demo-auditor-secret"
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")  # e.g. 000.00.00.H45
_PURPOSE_CODE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?$")

_log = get_logger("gateway.clients")


class Operation(StrEnum):
    LOOKUP = "lookup"
    VERIFY = "verify"
    HOUSEHOLD = "household"
    VERIFY_BATCH = "verify_batch"
    AUDIT_READ = "audit_read"


class FieldSet(StrEnum):
    """How much of a citizen record a client may receive (data minimisation)."""

    BASIC = "basic"  # identity only: numbers, name, sex, birth date
    FULL = "full"  # + addresses, nationality, relatives, household, marital status, blood group
    SENSITIVE = "sensitive"  # + ethnicity and religion (sensitive personal data, Decree 13/2023)


class ClientRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")
    name: str
    agency_code: str
    secret_hash: str
    secret_version: int = 1
    enabled: bool = True
    operations: frozenset[Operation] = frozenset({Operation.LOOKUP, Operation.VERIFY})
    field_set: FieldSet = FieldSet.BASIC
    verify_strategies: frozenset[str] = frozenset({"exact"})
    purpose_codes: frozenset[str] | None = None  # None = any well-formed procedure code
    rate_per_s: float = Field(20.0, gt=0)
    burst: int = Field(40, ge=1)

    @field_validator("agency_code")
    @classmethod
    def _agency_code(cls, value: str) -> str:
        if not AGENCY_CODE.fullmatch(value):
            raise ValueError("agency code must look like 000.00.00.H45 (QCVN 102:2016)")
        return value

    @field_validator("purpose_codes")
    @classmethod
    def _purpose_codes(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        bad = sorted(code for code in value or () if not _PURPOSE_CODE.fullmatch(code))
        if bad:
            raise ValueError(f"not procedure codes (e.g. 1.001612): {bad}")
        return value

    def verify_secret(self, secret: str) -> bool:
        """Synchronous check (CLI, tests); the gateway uses ``gateway.security.authn``."""
        return verify_secret(self.secret_hash, secret)


@dataclass(frozen=True, slots=True)
class _Loaded:
    mtime_ns: int
    clients: dict[str, ClientRecord]


class ClientRegistry:
    """Clients from the YAML file at ``path`` (reloaded when it changes), or the given ones."""

    def __init__(self, path: Path | None = None, clients: list[ClientRecord] | None = None) -> None:
        self.path = path
        self._static = {c.client_id: c for c in clients or []}
        self._loaded: _Loaded | None = None
        self.problem: str | None = None  # why the file on disk is not the registry in use

    def get(self, client_id: str) -> ClientRecord | None:
        return self._current().get(client_id)

    def all(self) -> list[ClientRecord]:
        return sorted(self._current().values(), key=lambda c: c.client_id)

    def check(self) -> None:
        """Read the file now; :class:`ClientsFileError` when it is missing or unreadable."""
        if self.path is not None and not self.path.exists():
            raise ClientsFileError(self.path, "no such file (create it with `lgsp clients add`)")
        self._current()
        if self.problem is not None:
            raise ClientsFileError(self.path or Path("-"), self.problem)

    def _current(self) -> dict[str, ClientRecord]:
        if self.path is None:
            return self._static
        mtime = _mtime_ns(self.path)
        if self._loaded is None or self._loaded.mtime_ns != mtime:
            self._reload(self.path, mtime)
        return self._loaded.clients if self._loaded is not None else {}

    def _reload(self, path: Path, mtime: int) -> None:
        try:
            clients = load_clients(path)
        except ClientsFileError as exc:
            # Keep serving the last good registry: one bad edit must not refuse every portal.
            if self.problem != exc.reason:
                _log.error("clients_file_invalid", path=str(path), reason=exc.reason)
            self.problem = exc.reason
            if self._loaded is not None:
                self._loaded = _Loaded(mtime, self._loaded.clients)
            return
        if self.problem is not None:
            _log.info("clients_file_valid_again", path=str(path))
        self.problem = None
        self._loaded = _Loaded(mtime, {c.client_id: c for c in clients})

    def save(self, clients: list[ClientRecord]) -> None:
        if self.path is None:
            raise RuntimeError("no clients file configured (LGSP_CLIENTS_FILE)")
        save_clients(self.path, clients)
        self._loaded = None


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


class ClientsFileError(ValueError):
    """The clients file cannot be used; ``reason`` says where, never a value (hashes are secret)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"invalid clients file {path}: {reason}")
        self.path, self.reason = path, reason


def load_clients(path: Path) -> list[ClientRecord]:
    if not path.exists():
        return []
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = list(raw.get("clients", []))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ClientsFileError(path, f"not valid YAML{where}") from None
    except (AttributeError, TypeError):
        raise ClientsFileError(path, "expected a mapping with a `clients` list") from None
    clients = []
    for number, item in enumerate(entries, 1):
        try:
            clients.append(ClientRecord.model_validate(item))
        except ValidationError as exc:
            raise ClientsFileError(path, f"client {number}: {_where(exc)}") from None
    return clients


def _where(exc: ValidationError) -> str:
    """The failing entries and fields with pydantic's messages, without the input values."""
    problems = exc.errors(include_url=False, include_input=False, include_context=False)
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'entry'}: {str(e['msg']).removeprefix('Value error, ')}"
        for e in problems
    )


def save_clients(path: Path, clients: list[ClientRecord]) -> None:
    """Write atomically (temp file + rename) so a reading gateway never sees half a file."""
    data = {"clients": [c.model_dump(mode="json") for c in clients]}
    for item in data["clients"]:
        for key in ("operations", "verify_strategies", "purpose_codes"):
            if item.get(key) is not None:
                item[key] = sorted(item[key])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    os.replace(temporary, path)


def demo_client() -> ClientRecord:
    """The dev-only demo portal: every data operation, full fields, normalised verify."""
    return ClientRecord(
        client_id=DEMO_CLIENT_ID,
        name="Demo provincial portal (dev only)",
        agency_code="000.00.00.H45",
        secret_hash=hash_secret(DEMO_CLIENT_SECRET),
        operations=frozenset(
            {Operation.LOOKUP, Operation.VERIFY, Operation.HOUSEHOLD, Operation.VERIFY_BATCH}
        ),
        field_set=FieldSet.FULL,
        verify_strategies=frozenset({"exact", "normalised"}),
        rate_per_s=200.0,
        burst=400,
    )


def demo_clients() -> list[ClientRecord]:
    """Dev mode's registry: the demo portal, a basic-field portal and an auditor."""
    agency = "000.00.00.H45"
    return [
        demo_client(),
        ClientRecord(
            client_id=DEMO_BASIC_ID,
            name="Demo portal with basic fields only (dev only)",
            agency_code=agency,
            secret_hash=hash_secret(DEMO_BASIC_SECRET),
            operations=frozenset({Operation.LOOKUP, Operation.VERIFY}),
            field_set=FieldSet.BASIC,
            rate_per_s=5.0,
            burst=10,
        ),
        ClientRecord(
            client_id=DEMO_AUDITOR_ID,
            name="Demo auditor (dev only)",
            agency_code=agency,
            secret_hash=hash_secret(DEMO_AUDITOR_SECRET),
            operations=frozenset({Operation.AUDIT_READ}),
        ),
    ]
