"""Per-credential call quotas with Mimecast's ``X-RateLimit-*`` headers.

A fixed window per credential: ``limit`` calls, then HTTP 429 until the window ends.
``X-RateLimit-Reset`` is the time in MILLISECONDS until the window resets (an integer).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["UNLIMITED", "QuotaBook", "RateLimit"]

#: Headers still show a quota when none is configured: a large, never-exhausted bucket.
UNLIMITED = 1_000_000


@dataclass(frozen=True)
class RateLimit:
    """``limit`` calls per ``window`` seconds for each credential."""

    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """``"100/60"`` -> 100 calls per 60 seconds."""
        limit, _, window = text.partition("/")
        return cls(int(limit), float(window or 1))


class _Bucket:
    __slots__ = ("used", "window_end")

    def __init__(self, window_end: float) -> None:
        self.used = 0
        self.window_end = window_end


class QuotaBook:
    """The buckets of every credential; ``take`` answers whether a call may run and its headers."""

    def __init__(self, rate_limit: RateLimit | None, *, clock: Callable[[], float]) -> None:
        self.rate_limit = rate_limit
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str) -> _Bucket | None:
        if self.rate_limit is None:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.window_end:
            bucket = self._buckets[key] = _Bucket(now + self.rate_limit.window)
        return bucket

    def _headers(self, bucket: _Bucket | None) -> dict[str, str]:
        if bucket is None or self.rate_limit is None:
            return {
                "X-RateLimit-Limit": str(UNLIMITED),
                "X-RateLimit-Remaining": str(UNLIMITED),
                "X-RateLimit-Reset": "0",
            }
        reset_ms = max(0, math.ceil((bucket.window_end - self._clock()) * 1000))
        return {
            "X-RateLimit-Limit": str(self.rate_limit.limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit.limit - bucket.used)),
            "X-RateLimit-Reset": str(reset_ms),
        }

    def take(self, key: str) -> tuple[bool, dict[str, str]]:
        """Spend one call of ``key``'s quota: (allowed, headers to send)."""
        bucket = self._bucket(key)
        if bucket is None or self.rate_limit is None:
            return True, self._headers(None)
        if bucket.used >= self.rate_limit.limit:
            return False, self._headers(bucket)
        bucket.used += 1
        return True, self._headers(bucket)

    def peek(self, key: str) -> dict[str, str]:
        """The headers for ``key`` without spending a call (token endpoint)."""
        return self._headers(self._bucket(key))
