"""A process that records look-ups under load and reports each one the moment it is durable.

Run by ``test_audit_crash.py`` as ``python -m tests.gateway.audit.crash_child DSN WRITER_ID``: 32
concurrent clients record events in a loop; each prints ``ack <request_id>`` on stdout as soon as
``record()`` returns for it, which is what a 2xx answer would mean. It runs until it is killed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys

from gateway.audit import AuditTrail, AuditUnavailable, open_audit_trail
from gateway.logs import configure_logging
from tests.gateway.audit.support import KEY, make_event

CLIENTS = 32


async def _client(trail: AuditTrail, name: str) -> None:
    for n in itertools.count():
        event = make_event(request_id=f"{name}-{n}")
        try:
            await trail.record(event)
        except AuditUnavailable:
            continue  # refused (503): never acknowledged, so nothing to check
        sys.stdout.write(f"ack {event.request_id}\n")
        sys.stdout.flush()


async def _main(dsn: str, writer_id: str) -> None:
    configure_logging(fmt="json")  # logs go to stderr; stdout carries only acknowledgements
    async with open_audit_trail(dsn, hmac_key=KEY, writer_id=writer_id) as trail:
        prefix = f"p{os.getpid()}"
        await asyncio.gather(*(_client(trail, f"{prefix}-c{i}") for i in range(CLIENTS)))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
