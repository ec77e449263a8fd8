"""The outbox sender: claim, send, record. A buyer is never messaged twice.

Each row goes pending -> sending (committed before any network I/O) -> sent | pending (retry later, only when
the remote certainly did not act) | unknown | failed. A crash while a row is 'sending' leaves it there; after
the lease it becomes 'unknown', its ticket is escalated, and it is surfaced for a human instead of re-sent.

Pacing: sends run concurrently, claimed oldest first with at most ``per_seller`` in flight per seller, so
one seller's backlog never starves the others and only a couple of its rows wait 'sending' for rate-limit
tokens at a time (a crash turns every 'sending' row into an unknown for a human). Rows over the seller's
daily budget wait for the next day (budget.py). A 429 never makes a row fail: Amazon did not act, so it stays
due. The SP-API rate limits are paced per process: run one sender per seller set, not replicas of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter as Metric

from services.responder import outbox_repository as outbox_repo
from services.responder.budget import BudgetPolicy, SendBudget, defer_to_next_day
from services.responder.tables import OutboxMessage
from services.responder.transports import (
    OutboundMessage,
    OutcomeUnknown,
    Throttled,
    Transport,
    decrypt_row,
)
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError

__all__ = ["OutboxSender", "SenderConfig"]

log = logging.getLogger(__name__)

SENT = Metric("outbox_messages_total", "Outbox outcomes", ["channel", "outcome"])
DEFERRED = Metric("outbox_deferred_total", "Rows deferred to the next day by the daily send budget")


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Pacing, retry policy and daily budget of the sender."""

    batch: int = 50
    poll_interval_s: float = 0.2
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_s: float = 2.0
    backoff_max_s: float = 300.0
    concurrency: int = 256
    per_seller: int = 2
    claim_gap_s: float = 0.2
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)


@dataclass(frozen=True, slots=True)
class _Claimed:
    message: OutboundMessage
    ticket_id: uuid.UUID
    attempts: int


class OutboxSender:
    """Delivers outbox rows through the transport of their channel."""

    def __init__(
        self,
        *,
        db: Database,
        transports: Mapping[str, Transport],
        cipher: PiiCipher,
        config: SenderConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._transports = transports
        self._cipher = cipher
        self._config = config
        self._clock = clock
        self._budget = SendBudget(config.budget)
        self._in_flight: Counter[str] = Counter()
        self._own: set[uuid.UUID] = set()  # rows this sender is sending now: never expired under its feet

    async def run(self, stop: asyncio.Event) -> None:
        """Keep sends in flight until ``stop``; messages in flight are finished and recorded before returning."""
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        next_expiry = 0.0
        try:
            while not stop.is_set():
                claimed: list[_Claimed] = []
                try:
                    if loop.time() >= next_expiry:
                        next_expiry = loop.time() + min(5.0, self._config.lease.total_seconds() / 4)
                        await self.expire_stale()
                    room = self._config.concurrency - len(tasks)
                    if room > 0:
                        claimed = await self._claim(limit=min(self._config.batch, room))
                except RetryableError as exc:
                    log.warning("sender.db_unavailable", extra={"error": exc.code})
                for item in claimed:
                    task = asyncio.create_task(self._deliver(item))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if not claimed or len(tasks) >= self._config.concurrency:
                    await self._pause(stop, tasks)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def tick(self) -> int:
        """Expire stale claims, claim a batch, send it, record the outcomes. Returns rows handled."""
        await self.expire_stale()
        claimed = await self._claim(limit=self._config.batch)
        await asyncio.gather(*(self._deliver(item) for item in claimed))
        return len(claimed)

    async def expire_stale(self) -> int:
        """Rows left 'sending' past the lease (a crash mid-send) become 'unknown'; their tickets escalate."""
        now = self._clock()
        async with unit_of_work(self._db) as session:
            stale = [
                (i, t)
                for i, t in await outbox_repo.stale_claims(session, before=now - self._config.lease)
                if i not in self._own
            ]
            if not stale:
                return 0
            for ticket_id in sorted({t for _, t in stale}):
                await outbox_repo.lock_ticket(session, ticket_id)
            expired = await outbox_repo.expire_claims(
                session, ids=[i for i, _ in stale], before=now - self._config.lease
            )
            for row in expired:
                await outbox_repo.record_on_ticket(
                    session, row, status="unknown", error=outbox_repo.STALE, now=now
                )
        for row in expired:
            SENT.labels(row.channel, "unknown").inc()
        if expired:
            log.warning("sender.outcome_unknown", extra={"rows": len(expired)})
        return len(expired)

    async def _pause(self, stop: asyncio.Event, tasks: set[asyncio.Task[None]]) -> None:
        """Until ``stop``, a finished send (plus ``claim_gap_s`` for others to finish too) or the poll interval."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait(
                {stopping, *tasks}, timeout=self._config.poll_interval_s, return_when=asyncio.FIRST_COMPLETED
            )
            if done and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(stopping), timeout=self._config.claim_gap_s)
        finally:
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping

    async def _claim(self, *, limit: int) -> list[_Claimed]:
        """Claim due rows fairly across sellers; hold back what the seller's in-flight cap or budget exceeds."""
        now = self._clock()
        cap = self._config.per_seller
        busy = [seller for seller, n in self._in_flight.items() if n >= cap]
        async with unit_of_work(self._db) as session:
            rows = await outbox_repo.claim_due(session, now=now, limit=limit, per_seller=cap, exclude=busy)
            room = {seller: cap - self._in_flight[seller] for seller in {r.seller_id for r in rows}}
            kept: list[OutboxMessage] = []
            for row in rows:
                if room[row.seller_id] > 0:
                    room[row.seller_id] -= 1
                    kept.append(row)
                else:
                    _unclaim(row)
            await session.flush()
            deferred = await self._budget.over_budget(session, claimed=kept, now=now)
            for row in deferred:
                _unclaim(row)
                await defer_to_next_day(session, row, now=now)
            claimed = [
                _Claimed(decrypt_row(row, self._cipher), row.ticket_id, row.attempts)
                for row in kept
                if row not in deferred
            ]
        if deferred:
            DEFERRED.inc(len(deferred))
            log.warning("sender.budget_deferred", extra={"rows": len(deferred)})
        for item in claimed:
            self._in_flight[item.message.seller_id] += 1
            self._own.add(uuid.UUID(item.message.outbox_id))
        return claimed

    async def _deliver(self, item: _Claimed) -> None:
        seller = item.message.seller_id
        try:
            status, error, retry_at = await self._send(item)
            SENT.labels(item.message.channel, status).inc()
            await self._record(item, status=status, error=error, retry_at=retry_at)
        except Exception as exc:  # noqa: BLE001  # recording failed: the row stays 'sending' and ends 'unknown'
            log.error(
                "sender.record_failed",
                extra={"outbox_id": item.message.outbox_id, "error": type(exc).__name__},
            )
        finally:
            self._own.discard(uuid.UUID(item.message.outbox_id))
            self._in_flight[seller] -= 1
            if self._in_flight[seller] <= 0:
                del self._in_flight[seller]

    async def _send(self, item: _Claimed) -> tuple[str, str | None, datetime | None]:
        message, attempts = item.message, item.attempts
        transport = self._transports.get(message.channel)
        if transport is None:
            return "failed", f"no transport for channel {message.channel}", None
        try:
            await transport.send(message)
        except OutcomeUnknown as exc:
            return "unknown", str(exc), None
        except PermanentError as exc:
            return "failed", f"{exc.code}: {exc}", None
        except RetryableError as exc:
            if attempts >= self._config.max_attempts and not isinstance(exc, Throttled):
                return "failed", f"gave up after {attempts} attempts: {exc}", None
            retry_at = self._clock() + timedelta(seconds=self._backoff(attempts, exc.retry_after))
            return "pending", f"{exc.code}: {exc}", retry_at
        except Exception as exc:  # noqa: BLE001  # an unclassified failure may have sent: never resend
            return "unknown", f"unexpected {type(exc).__name__}: {exc}", None
        return "sent", None, None

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        base = min(self._config.backoff_max_s, self._config.backoff_s * 2 ** max(0, attempts - 1))
        return float(max(retry_after or 0.0, base * (0.5 + random.random() / 2)))  # jitter only

    async def _record(
        self, item: _Claimed, *, status: str, error: str | None, retry_at: datetime | None
    ) -> None:
        now = self._clock()
        async with unit_of_work(self._db) as session:
            # The ticket first, then the outbox row: the same lock order as the handlers, so no deadlock.
            await outbox_repo.lock_ticket(session, item.ticket_id)
            row = await outbox_repo.record_send_outcome(
                session,
                uuid.UUID(item.message.outbox_id),
                status=status,
                error=error,
                retry_at=retry_at,
                now=now,
            )
            if row is None:
                return  # the lease expired meanwhile and the row is 'unknown' already
            await outbox_repo.record_on_ticket(session, row, status=status, error=error, now=now)
        log.info(
            "sender.outcome",
            extra={
                "outbox_id": item.message.outbox_id,
                "status": status,
                "error": (error or "").split(":")[0][:60],
            },
        )


def _unclaim(row: OutboxMessage) -> None:
    row.status = "pending"
    row.claimed_at = None
    row.attempts -= 1
