"""The rate-limiter interface shared by the in-process and the Redis backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Decision", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int  # bucket size (burst)
    remaining: int  # whole tokens left after this request
    retry_after_s: float  # 0 when allowed; else time until one token is back
    reset_s: float  # time until the bucket is full again

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(max(0, round(self.reset_s))),
        }


class RateLimiter(Protocol):
    async def acquire(self, key: str, rate_per_s: float, burst: int) -> Decision:
        """Take one token from ``key``'s bucket (refilled at ``rate_per_s``, holding ``burst``)."""
        ...

    async def close(self) -> None: ...
