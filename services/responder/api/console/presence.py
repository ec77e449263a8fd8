"""Who has a ticket open (pure, in this process): the warning when two agents work on the same ticket.

Each open ticket page reports every few seconds; a viewer not heard from for ``ttl`` is gone. Kept in memory:
with several API replicas an agent only sees the others served by the same replica (sticky sessions make it
whole), which is acceptable for a warning that decides nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

__all__ = ["Presence"]


class Presence:
    """``visit(ticket, actor, now)`` records the visit and returns the other actors on that ticket."""

    def __init__(self, *, ttl: timedelta = timedelta(seconds=15), max_tickets: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_tickets
        self._seen: dict[uuid.UUID, dict[str, datetime]] = {}

    def visit(self, ticket_id: uuid.UUID, actor: str, now: datetime) -> list[str]:
        """Record ``actor`` on the ticket; the others seen within the ttl, sorted."""
        viewers = self._seen.setdefault(ticket_id, {})
        viewers[actor] = now
        for name, at in list(viewers.items()):
            if now - at > self._ttl:
                del viewers[name]
        if len(self._seen) > self._max:  # forget the oldest tickets first (dicts keep insertion order)
            for stale in list(self._seen)[: len(self._seen) - self._max]:
                del self._seen[stale]
        return sorted(name for name in viewers if name != actor)
