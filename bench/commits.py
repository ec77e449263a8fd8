"""When each ticket's transaction committed, seen by the bench process on its own clock.

The bench database gets a trigger that NOTIFYs a ticket's order id; PostgreSQL delivers notifications at
commit, so the listener's ``time.time()`` on receipt is the commit time (plus a local socket hop) on the same
clock as the generator's produce stamps. ``tickets.created_at`` would not do: ``now()`` is the transaction's
start, and it is the database server's clock. Bench databases only: nothing in the services knows of it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg

__all__ = ["CommitWatch", "install_trigger", "percentile"]

_CHANNEL = "bench_ticket_committed"

_TRIGGER = f"""
CREATE OR REPLACE FUNCTION bench_ticket_committed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{_CHANNEL}', coalesce(NEW.order_id, ''));
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bench_ticket_committed ON tickets;
CREATE TRIGGER bench_ticket_committed AFTER INSERT ON tickets
  FOR EACH ROW EXECUTE FUNCTION bench_ticket_committed();
"""


def _dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def install_trigger(database_url: str) -> None:
    """Add the commit-notifying trigger to the bench database's tickets."""
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(_TRIGGER)
    finally:
        await conn.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted ``values`` (nearest rank); 0 when empty."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * q))]


@dataclass
class CommitWatch:
    """Listens for ticket commits; ``committed`` maps order id -> commit time, ``count`` counts them."""

    database_url: str
    keep: bool = True  # False: only count (the soak: a million orders need not be remembered)
    count: int = 0
    committed: dict[str, float] = field(default_factory=dict)
    _conn: asyncpg.Connection | None = None
    _pending: set[str] = field(default_factory=set)
    _done: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Connect and LISTEN."""
        self._conn = await asyncpg.connect(_dsn(self.database_url))
        await self._conn.add_listener(_CHANNEL, self._on_notify)

    async def stop(self) -> None:
        """Disconnect."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.count += 1
        if not self.keep:
            return
        self.committed.setdefault(payload, time.time())
        self._pending.discard(payload)
        if not self._pending:
            self._done.set()

    async def wait_for(self, orders: set[str] | list[str], *, within: float) -> bool:
        """Wait until every order in ``orders`` has a committed ticket; False on timeout."""
        self._pending = set(orders) - self.committed.keys()
        self._done.clear()
        if not self._pending:
            return True
        try:
            await asyncio.wait_for(self._done.wait(), timeout=within)
        except TimeoutError:
            return False
        return True

    @property
    def missing(self) -> int:
        """Orders the last ``wait_for`` still waits for."""
        return len(self._pending)

    def latencies_ms(self, sent_at: dict[str, float], orders: list[str] | None = None) -> list[float]:
        """Sorted produce -> commit latencies (ms) of ``orders`` (default: every stamped order committed)."""
        keys = orders if orders is not None else list(sent_at)
        return sorted(
            (self.committed[o] - sent_at[o]) * 1000 for o in keys if o in self.committed and o in sent_at
        )
