"""Per-client rate limits: a token bucket per client, in process or shared through Redis.

``Decision`` carries what the RateLimit headers (IETF draft ``RateLimit-Limit`` /
``RateLimit-Remaining`` / ``RateLimit-Reset``) and ``Retry-After`` need.
"""

from gateway.ratelimit._base import Decision, RateLimiter
from gateway.ratelimit.memory import MemoryRateLimiter

__all__ = ["Decision", "MemoryRateLimiter", "RateLimiter"]
