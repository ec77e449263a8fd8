"""Per-seller request budget: at most N requests in any minute, and nothing while Zendesk said to wait."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

__all__ = ["MinuteBudget"]

_MINUTE = timedelta(minutes=1)


class MinuteBudget:
    """A sliding one-minute window per seller on the injected clock, plus pauses from 429 Retry-After."""

    def __init__(self, per_minute: dict[str, int]) -> None:
        self._limits = per_minute
        self._sent: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self._paused: dict[str, datetime] = {}

    def wait(self, seller_id: str, *, now: datetime) -> float:
        """Seconds until the seller may send one more request (0: now)."""
        until = self._paused.get(seller_id)
        pause = (until - now).total_seconds() if until is not None and until > now else 0.0
        window = self._sent[seller_id]
        while window and window[0] <= now - _MINUTE:
            window.popleft()
        full = 0.0
        if len(window) >= self._limits.get(seller_id, 100):
            full = (window[0] + _MINUTE - now).total_seconds()
        return max(pause, full)

    def spend(self, seller_id: str, *, now: datetime) -> None:
        """Count one request."""
        self._sent[seller_id].append(now)

    def pause(self, seller_id: str, *, until: datetime) -> None:
        """Zendesk answered 429: nothing for this seller before ``until``."""
        self._paused[seller_id] = max(until, self._paused.get(seller_id, until))
