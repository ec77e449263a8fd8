"""Per-key token buckets in memory (one API process; each replica limits on its own)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["TokenBuckets"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """``take(key)`` spends one token; refills at ``rate`` per second up to ``burst``."""

    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def take(self, key: Hashable, *, rate: float | None = None) -> float:
        """0.0 when allowed, else the seconds until a token is available (for Retry-After)."""
        rate = rate if rate and rate > 0 else self._rate
        burst = max(self._burst, rate)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.popitem(last=False)  # the least recently used key (revoked or idle) goes
            bucket = self._buckets[key] = _Bucket(tokens=burst, updated=now)
        else:
            self._buckets.move_to_end(key)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """Retry-After header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))
