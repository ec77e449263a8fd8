"""Client-side pacing: an async token bucket per (seller, operation) mirroring Amazon's usage plans."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_RATE_LIMITS", "AsyncTokenBucket", "RateLimit", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """A usage plan: ``rate`` requests per second sustained, ``burst`` at once."""

    rate: float
    burst: int


# Default usage plans from the models (NOTES §2, §3, §4.4). Limits apply per application + seller.
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    **{
        op: RateLimit(1.0, 5)
        for op in (
            "getMessagingActionsForOrder",
            "GetAttributes",
            "confirmCustomizationDetails",
            "createConfirmDeliveryDetails",
            "createLegalDisclosure",
            "createConfirmOrderDetails",
            "createConfirmServiceDetails",
            "CreateWarranty",
            "createDigitalAccessKey",
            "createUnexpectedProblem",
            "sendInvoice",
            "getSolicitationActionsForOrder",
            "createProductReviewAndSellerFeedbackSolicitation",
        )
    },
    "getReports": RateLimit(0.0222, 10),
    "createReport": RateLimit(0.0167, 15),
    "getReport": RateLimit(2.0, 15),
    "cancelReport": RateLimit(0.0222, 10),
    "getReportDocument": RateLimit(0.0167, 15),
}
_FALLBACK = RateLimit(1.0, 5)


class AsyncTokenBucket:
    """A FIFO-fair token bucket: each caller reserves the next token and sleeps until it exists.

    ``headroom`` tokens of the burst are never used. Requests reach Amazon later than they leave here, by
    varying amounts; keeping one token spare absorbs a spread of up to one refill interval, so pacing at the
    published plan does not turn network jitter into 429s.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        headroom: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._headroom = headroom
        self._rate = limit.rate
        self._capacity = float(max(1, limit.burst - headroom))
        self._tokens = self._capacity
        self._updated = clock()

    @property
    def rate(self) -> float:
        """Tokens per second currently assumed."""
        return self._rate

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        """Wait until this caller's token is available, then return."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0.0:
            return
        wait = -self._tokens / self._rate
        try:
            await self._sleep(wait)
        except asyncio.CancelledError:
            # Give the reserved token back so a cancelled caller does not slow the others.
            self._refill()
            self._tokens = min(self._capacity, self._tokens + 1.0)
            raise

    def drain(self) -> None:
        """Amazon answered 429: assume its bucket is empty now."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)

    def set_rate(self, rate: float) -> None:
        """Follow the rate Amazon reports in ``x-amzn-RateLimit-Limit``."""
        if rate > 0 and abs(rate - self._rate) > 1e-9:
            self._refill()
            self._rate = rate


class RateLimiter:
    """Buckets per (seller, operation), created on first use from the operation's usage plan."""

    def __init__(
        self,
        limits: Mapping[str, RateLimit] | None = None,
        *,
        headroom: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limits = {**DEFAULT_RATE_LIMITS, **(limits or {})}
        self._headroom = headroom
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], AsyncTokenBucket] = {}

    def bucket(self, seller_id: str, operation: str) -> AsyncTokenBucket:
        """The bucket of one seller and operation."""
        key = (seller_id, operation)
        found = self._buckets.get(key)
        if found is None:
            limit = self._limits.get(operation, _FALLBACK)
            found = self._buckets[key] = AsyncTokenBucket(
                limit, headroom=self._headroom, clock=self._clock, sleep=self._sleep
            )
        return found

    async def acquire(self, seller_id: str, operation: str) -> None:
        """Wait for a token of this seller and operation."""
        await self.bucket(seller_id, operation).acquire()

    def throttled(self, seller_id: str, operation: str) -> None:
        """Record a 429 for this seller and operation."""
        self.bucket(seller_id, operation).drain()

    def observe_rate(self, seller_id: str, operation: str, header: str | None) -> None:
        """Adopt the rate of an ``x-amzn-RateLimit-Limit`` header, when present and well-formed."""
        if not header:
            return
        try:
            rate = float(header)
        except ValueError:
            return
        self.bucket(seller_id, operation).set_rate(rate)
