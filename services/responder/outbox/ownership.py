"""One logical sender per seller across responder replicas, with PostgreSQL advisory locks.

Why locks and not a partition of sellers: Amazon meters the Messaging API per seller (1 request/s, burst 5),
and the SP-API client paces each seller with an in-process token bucket. Two replicas sending for one seller
would each pace alone and together overrun the plan (429s), and each would check the daily budget against the
other's in-flight claims. So a replica claims a seller's rows only while it holds that seller's session-level
advisory lock (``pg_try_advisory_lock``) on a dedicated connection. Compared with a static partition
(replica i of n serves hash(seller) mod n) this needs no replica index from Kubernetes, follows scale-ups and
crashes by itself (a dead replica's connection ends, its locks with it), and compared with a lease table it
cannot leave a stale owner behind: PostgreSQL releases the lock the moment the holder's session ends.

Balance: each replica takes at most its share (sellers with work / live replicas, rounded up) of the sellers
that have work, counting live replicas by their member locks. A seller is given up only after
``release_after`` without work and with nothing in flight, longer than Amazon needs to refill the burst, so the
next owner's fresh token bucket cannot overrun the plan. When the lock connection breaks, every seller is
dropped at once (its locks are gone) and nothing is claimed until the connection is back. Session locks need
a direct connection (or a session-mode pooler), never a transaction-mode pgbouncer.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.responder.outbox import lease_repository as lease_repo
from shared.db.session import Database
from shared.errors import RetryableError

__all__ = ["SellerOwnership"]

log = logging.getLogger(__name__)


class SellerOwnership:
    """The sellers this sender serves; refreshed from the database, held as advisory locks."""

    def __init__(
        self,
        db: Database,
        *,
        release_after_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._release_after = release_after_s
        self._monotonic = monotonic
        self._conn: AsyncConnection | None = None
        self._owned: set[str] = set()
        self._last_work: dict[str, float] = {}

    @property
    def owned(self) -> frozenset[str]:
        """The sellers whose rows this sender may claim now."""
        return frozenset(self._owned)

    async def refresh(self, *, busy: Collection[str], now: datetime, stale_before: datetime) -> set[str]:
        """Give up idle sellers, take this sender's share of those with work; returns the newly taken ones."""
        try:
            conn = await self._connection()
            work = await lease_repo.sellers_with_work(conn, now=now, stale_before=stale_before)
            live = await lease_repo.live_members(conn)
            clock = self._monotonic()
            for seller in work:
                self._last_work[seller] = clock
            for seller in sorted(self._owned):
                idle = clock - self._last_work.get(seller, clock) >= self._release_after
                if idle and seller not in busy:
                    await lease_repo.unlock_seller(conn, seller)
                    self._owned.discard(seller)
                    self._last_work.pop(seller, None)
            share = math.ceil(len(work) / live)
            serving = sum(1 for seller in work if seller in self._owned)
            candidates = [seller for seller in work if seller not in self._owned]
            random.shuffle(candidates)  # replicas starting together should not all queue for the same seller
            taken: set[str] = set()
            for seller in candidates:
                if serving >= share:
                    break
                if await lease_repo.try_lock_seller(conn, seller):
                    self._owned.add(seller)
                    taken.add(seller)
                    serving += 1
        except RetryableError:
            await self._drop()
            raise
        except Exception as exc:
            await self._drop()
            raise RetryableError(f"seller locks unavailable: {type(exc).__name__}", code="db") from exc
        if taken:
            log.info("sender.sellers_taken", extra={"taken": len(taken), "owned": len(self._owned)})
        return taken

    async def close(self) -> None:
        """Give every seller up (closing the connection releases its locks)."""
        await self._drop()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self._db.engine.connect()
            try:
                # Autocommit: the connection holds session locks, never an open transaction.
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await lease_repo.join_members(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if self._owned:
            log.warning("sender.sellers_dropped", extra={"owned": len(self._owned)})
        self._owned.clear()
        self._last_work.clear()
        if conn is not None:
            try:
                await conn.invalidate()  # never back to the pool: a pooled connection would keep the locks
            except Exception as exc:  # noqa: BLE001  # a dead connection fails to close; its locks are gone anyway
                log.debug("sender.lock_connection_close_failed", extra={"error": type(exc).__name__})
