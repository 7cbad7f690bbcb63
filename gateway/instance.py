"""This process's name in the shared stores: ``host:pid``.

The audit trail names its writer with it (unless ``audit_writer_id`` pins one) and the job worker
its leases, so an operator reading either store finds the same process under the same name.
"""

from __future__ import annotations

import os
import socket

__all__ = ["instance_name"]


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
