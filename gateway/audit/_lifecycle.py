"""``async with`` for the trail's long-lived objects: what entering opens, leaving closes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["Bracketed"]


class Bracketed(ABC):
    """Entering runs :meth:`begin`; leaving runs :meth:`close`, after an error too, so a reader's
    connection or a writer's tasks never outlive the block that needed them."""

    @abstractmethod
    async def begin(self) -> None:
        """Acquire what the object needs (a store connection, writer tasks)."""

    @abstractmethod
    async def close(self) -> None:
        """Release it."""

    async def __aenter__(self) -> Self:
        await self.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
