"""The maintenance switch: while it is on, data calls and ``/readyz`` answer 503 with Retry-After.

Two ways to throw it, one rule to read it:

* with ``LGSP_MAINTENANCE_FILE`` set, **the file is the switch**: it exists = on. Every replica
  that sees the same path (a shared volume, or each host's own file set by configuration
  management) follows it within ``recheck_s``. ``lgsp maintenance on|off`` and the admin endpoint
  both write or remove that file. Its content is optional JSON (``reason``, ``retry_after_s``,
  ``since``), so ``touch`` works too.
* without it, the admin endpoint flips an in-memory switch of the one replica that received the
  call: enough on a single machine, and said so in docs/operations.md.

Each replica logs ``maintenance_on`` / ``maintenance_off`` when it notices a change, whoever
made it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeGuard

import orjson

from gateway.logs import get_logger

__all__ = [
    "DEFAULT_RETRY_AFTER_S",
    "OFF",
    "MaintenanceState",
    "MaintenanceSwitch",
    "clear_flag",
    "read_flag",
    "write_flag",
]

DEFAULT_RETRY_AFTER_S = 300
_log = get_logger("gateway.maintenance")


@dataclass(frozen=True, slots=True)
class MaintenanceState:
    enabled: bool
    reason: str | None = None
    retry_after_s: int = DEFAULT_RETRY_AFTER_S
    since: str | None = None

    @classmethod
    def on(
        cls, reason: str | None = None, retry_after_s: int = DEFAULT_RETRY_AFTER_S
    ) -> MaintenanceState:
        """Maintenance switched on now."""
        return cls(True, reason, retry_after_s, datetime.now(UTC).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


OFF = MaintenanceState(enabled=False)


def _from_content(text: str) -> MaintenanceState:
    """An existing flag file means on, whatever it holds; JSON content adds the details."""
    try:
        data = orjson.loads(text) if text.strip() else {}
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    reason = data.get("reason")
    retry_after = data.get("retry_after_s")
    since = data.get("since")
    return MaintenanceState(
        enabled=True,
        reason=reason if isinstance(reason, str) else None,
        retry_after_s=retry_after if _positive_int(retry_after) else DEFAULT_RETRY_AFTER_S,
        since=since if isinstance(since, str) else None,
    )


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_flag(path: Path) -> MaintenanceState:
    """The switch as the file says: missing = off."""
    try:
        return _from_content(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return OFF


def write_flag(path: Path, state: MaintenanceState) -> None:
    """Turn maintenance on through ``path``, atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(replace(state, enabled=True).as_dict()))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def clear_flag(path: Path) -> None:
    path.unlink(missing_ok=True)


class MaintenanceSwitch:
    """This replica's view of the switch; a configured file is re-read every ``recheck_s``."""

    def __init__(
        self,
        flag_file: Path | None = None,
        *,
        recheck_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.flag_file = flag_file
        self._recheck_s = recheck_s
        self._clock = clock
        self._state = OFF
        self._read_at: float | None = None

    def state(self) -> MaintenanceState:
        if self.flag_file is not None and self._stale():
            self._notice(self._read_file(self.flag_file), by="file")
        return self._state

    def is_on(self) -> bool:
        return self.state().enabled

    def turn_on(
        self, *, reason: str | None, retry_after_s: int = DEFAULT_RETRY_AFTER_S, by: str
    ) -> MaintenanceState:
        state = MaintenanceState.on(reason, retry_after_s)
        if self.flag_file is not None:
            write_flag(self.flag_file, state)
        self._notice(state, by=by)
        return state

    def turn_off(self, *, by: str) -> MaintenanceState:
        if self.flag_file is not None:
            clear_flag(self.flag_file)
        self._notice(OFF, by=by)
        return OFF

    def _stale(self) -> bool:
        return self._read_at is None or self._clock() - self._read_at >= self._recheck_s

    def _read_file(self, path: Path) -> MaintenanceState:
        try:
            return read_flag(path)
        except OSError as exc:  # unreadable: keep what we knew, and say so
            _log.error("maintenance_flag_unreadable", path=str(path), error=str(exc))
            return self._state

    def _notice(self, state: MaintenanceState, *, by: str) -> None:
        self._read_at = self._clock()
        previous, self._state = self._state, state
        if state.enabled and not previous.enabled:
            _log.warning(
                "maintenance_on", by=by, reason=state.reason, retry_after_s=state.retry_after_s
            )
        elif previous.enabled and not state.enabled:
            _log.warning("maintenance_off", by=by)
