"""``AuthFailures``: token buckets spent by failed authentications, per client address and for the process.

Guessing keys must cost the guesser, not the database: every failed check spends a token of the client's
bucket and of the global one; while either is empty, the next unauthenticated attempt is answered 429 with
Retry-After before any lookup. Client buckets are a bounded LRU (a flood of addresses evicts the least recent
ones; the global bucket still holds). A success costs nothing.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AuthFailures", "AuthThrottled"]


class AuthThrottled(Exception):
    """Too many failed authentications: retry after ``wait`` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"too many failed authentications; retry in {wait:.1f}s")
        self.wait = wait

    @property
    def retry_after(self) -> str:
        """Retry-After header value: whole seconds, at least 1."""
        return AuthFailures.retry_after(self.wait)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float

    def refill(self, now: float, *, rate: float, burst: float) -> None:
        self.tokens = min(burst, self.tokens + (now - self.updated) * rate)
        self.updated = now

    def wait(self, rate: float) -> float:
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / rate


class AuthFailures:
    """``blocked(client)`` -> seconds to wait (0.0: go ahead); ``failed(client)`` records one failure."""

    def __init__(
        self,
        *,
        per_client: float = 10.0,
        client_rate: float = 0.2,
        global_burst: float = 200.0,
        global_rate: float = 20.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = per_client
        self._rate = client_rate
        self._global_burst = global_burst
        self._global_rate = global_rate
        self._max = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._global = _Bucket(tokens=global_burst, updated=clock())

    def blocked(self, client: str) -> float:
        """0.0 when ``client`` may try to authenticate now, else the seconds until it may."""
        now = self._clock()
        self._global.refill(now, rate=self._global_rate, burst=self._global_burst)
        wait = self._global.wait(self._global_rate)
        bucket = self._clients.get(client)
        if bucket is not None:
            bucket.refill(now, rate=self._rate, burst=self._burst)
            wait = max(wait, bucket.wait(self._rate))
        return wait

    def check(self, client: str) -> None:
        """Raise ``AuthThrottled`` when ``client`` must wait."""
        wait = self.blocked(client)
        if wait > 0:
            raise AuthThrottled(wait)

    def failed(self, client: str) -> None:
        """Spend one token of the client's bucket and of the global one."""
        now = self._clock()
        bucket = self._clients.get(client)
        if bucket is None:
            if len(self._clients) >= self._max:
                self._clients.popitem(last=False)
            bucket = self._clients[client] = _Bucket(tokens=self._burst, updated=now)
        else:
            self._clients.move_to_end(client)
        bucket.refill(now, rate=self._rate, burst=self._burst)
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        self._global.refill(now, rate=self._global_rate, burst=self._global_burst)
        self._global.tokens = max(0.0, self._global.tokens - 1.0)

    @staticmethod
    def retry_after(wait: float) -> str:
        """Retry-After header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))
