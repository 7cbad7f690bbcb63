"""One way for tests to write a client of the registry (``gateway.security.clients``).

Each test says only what its client needs to differ in; the rest is one agency, the secret
``<client_id>-secret`` hashed the way new entries are, and the registry's own defaults.
"""

from __future__ import annotations

from typing import Any

from gateway.security.clients import ClientRecord
from gateway.security.secret_hash import hash_secret

__all__ = ["AGENCY", "client_record"]

AGENCY = "000.00.00.H45"


def client_record(client_id: str, *, secret: str | None = None, **fields: Any) -> ClientRecord:
    """A registry entry for ``client_id``; ``fields`` override any of ``ClientRecord``'s.

    ``secret`` is hashed into ``secret_hash`` (default ``<client_id>-secret``); pass
    ``secret_hash`` instead to store a hash made elsewhere (an old Argon2id one, say).
    """
    values: dict[str, Any] = {"client_id": client_id, "name": client_id, "agency_code": AGENCY}
    if "secret_hash" not in fields:
        values["secret_hash"] = hash_secret(secret or f"{client_id}-secret")
    return ClientRecord(**(values | fields))
