"""Outcomes of finished sends, recorded in batches: one transaction for many rows instead of one per row.

A send's outcome waits here at most ``delay_s`` (or until ``max_batch`` are waiting), then its batch is
written in one transaction: the tickets locked in id order, every row updated with one statement (only rows
still 'sending': a row whose lease expired meanwhile is 'unknown' already and stays so), the tickets and their
timelines after. Each caller still awaits its own row's commit, so nothing about a row changes for the
sender: a failure of the batch is the failure of each of its rows (they stay 'sending' and end 'unknown').
Two outcomes for one ticket in a batch are applied one after the other, in the order they came. With webhook
subscriptions, each reply recorded ``sent`` queues its ``reply.sent`` delivery in the same transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.responder.outbox import repository as outbox_repo
from services.responder.settings import WebhookSubscription
from services.responder.webhooks import events as webhook_events
from services.responder.webhooks import repository as webhook_repo
from shared.db.session import Database, unit_of_work

__all__ = ["OutcomeRecorder"]


@dataclass(slots=True)
class _Pending:
    outcome: outbox_repo.SendOutcome
    ticket_id: uuid.UUID | None  # None: a solicitation, which changes no ticket
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class OutcomeRecorder:
    """Collects outcomes and writes them in batches; ``record`` returns once its row's batch committed."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime],
        max_batch: int = 500,
        delay_s: float = 0.02,
        webhooks: Sequence[WebhookSubscription] = (),
    ) -> None:
        self._db = db
        self._webhooks = tuple(webhooks)
        self._clock = clock
        self._max_batch = max_batch
        self._delay_s = delay_s
        self._waiting: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def record(
        self,
        outbox_id: uuid.UUID,
        ticket_id: uuid.UUID | None,
        *,
        status: str,
        error: str | None,
        retry_at: datetime | None,
    ) -> bool:
        """Record one outcome; False when the row was no longer 'sending' (its lease expired meanwhile)."""
        pending = _Pending((outbox_id, status, error, retry_at), ticket_id)
        self._waiting.append(pending)
        if len(self._waiting) >= self._max_batch:
            self._flush_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay_s, self._flush_now)
        return await pending.done

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.create_task(self._write(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            recorded = await self._commit(batch)
        except BaseException as exc:
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(pending.outcome[0] in recorded)

    async def _commit(self, batch: list[_Pending]) -> set[uuid.UUID]:
        # Waves: each holds at most one outcome per ticket, in arrival order, so every ticket sees its
        # outcomes one at a time as it would row by row.
        seen: Counter[uuid.UUID] = Counter()
        waves: list[list[_Pending]] = []
        for pending in batch:
            key = pending.ticket_id or pending.outcome[0]  # a row without a ticket waits for nobody
            n = seen[key]
            seen[key] += 1
            if n == len(waves):
                waves.append([])
            waves[n].append(pending)
        recorded: set[uuid.UUID] = set()
        now = self._clock()
        async with unit_of_work(self._db) as session:
            # The tickets first, then the outbox rows: the lock order of the handlers, so no deadlock.
            await outbox_repo.lock_tickets(session, (p.ticket_id for p in batch))
            for group in waves:
                rows = await outbox_repo.record_send_outcomes(session, [p.outcome for p in group], now=now)
                await outbox_repo.record_on_tickets(session, rows, now=now)
                recorded.update(row.id for row in rows)
                if self._webhooks:
                    sent = [
                        webhook_events.reply_sent(
                            outbox_id=row.id,
                            ticket_id=row.ticket_id,
                            seller_id=row.seller_id,
                            order_id=row.order_id,
                            channel=row.channel,
                            created_by=row.created_by,
                            now=now,
                        )
                        for row in rows
                        if row.status == "sent" and row.ticket_id is not None
                    ]
                    deliveries = webhook_events.delivery_rows(sent, self._webhooks)
                    await webhook_repo.insert_deliveries(session, rows=deliveries)
        return recorded
