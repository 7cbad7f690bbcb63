"""This process's name in the shared stores: ``host:pid`` (a short-lived run adds its start).

The audit trail names its writer with it (unless ``audit_writer_id`` pins one) and the job worker
its leases, so an operator reading either store finds the same process under the same name.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

__all__ = ["instance_name", "run_name"]


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_name(role: str, started: datetime) -> str:
    """One run of a short-lived command, ``cli:host:pid:20261130T213900123456Z``: a writer id
    that no other run continues. The start time, to the microsecond, tells apart two runs the OS
    gave the same pid."""
    return f"{role}:{instance_name()}:{started.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"
