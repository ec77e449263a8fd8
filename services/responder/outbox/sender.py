"""The outbox sender: claim, send, record. A buyer is never messaged twice.

Each row goes pending -> sending (committed before any network I/O) -> sent | pending (retry later, only when
the remote certainly did not act) | unknown | failed. A crash while a row is 'sending' leaves it there; after
the lease it becomes 'unknown', its ticket is escalated, and it is surfaced for a human instead of re-sent.

Pacing: sends run concurrently, claimed oldest first with at most ``per_seller`` in flight per seller, so
one seller's backlog never starves the others and only a couple of its rows wait 'sending' for rate-limit
tokens at a time (a crash turns every 'sending' row into an unknown for a human). Rows over the seller's
daily budget wait for the next day (budget.py). A 429 never makes a row fail: Amazon did not act, so it stays
due. The SP-API rate limits are paced per process, so with ``ownership`` (every replica in production) a
sender claims only the rows of sellers whose advisory lock it holds: one logical sender per seller
(ownership.py).

One row never stops the others: it is decrypted and built on its own, and whatever goes wrong with it is
recorded on it (a key that cannot open it, a missing template or a malformed address: ``failed`` with the
reason; a transient error before anything left: ``pending`` with backoff; anything after the payload may have
left: ``unknown``). A failure of the loop itself (database away) is logged and the loop carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from prometheus_client import Counter as Metric
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.outbox import lease_repository as lease_repo
from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.budget import BudgetPolicy, SendBudget, defer_to_next_day
from services.responder.outbox.identical import IdenticalCap, hold_row
from services.responder.outbox.outcomes import Outcome, RetryPolicy, expired, prepare_failure, send_outcome
from services.responder.outbox.ownership import SellerOwnership
from services.responder.outbox.recorder import OutcomeRecorder
from services.responder.outbox.transports import (
    Transport,
    decrypt_row,
)
from services.responder.settings import WebhookSubscription
from services.responder.tables import OutboxMessage
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError, classify_failure
from shared.tracing import parent_context, tracer

__all__ = ["OutboxSender", "SenderConfig"]

log = logging.getLogger(__name__)

SENT = Metric(
    "outbox_messages_total",
    "Outbox send outcomes by channel (sent, pending: retry later, unknown, failed).",
    ["channel", "outcome"],
)
DEFERRED = Metric("outbox_deferred_total", "Rows deferred to the next day by the daily send budget")
HELD = Metric("outbox_held_total", "Rows held for a person by the identical-message cap")
SEND_SECONDS = Histogram(
    "outbox_send_seconds",
    "Time to build, send and record one outbox row, by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Pacing, retry policy and daily budget of the sender."""

    batch: int = 500
    poll_interval_s: float = 0.2
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_s: float = 2.0
    backoff_max_s: float = 300.0
    concurrency: int = 4096  # most sends wait for their seller's SP-API tokens: sellers x per_seller needed
    per_seller: int = 2
    claim_gap_s: float = 0.2
    ownership_interval_s: float = 1.0
    loop_error_pause_s: float = 1.0
    record_delay_s: float = 0.02  # outcomes wait at most this long to be recorded together (recorder.py)
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)
    identical_cap: int | None = 50  # automatic messages with one text per seller and day (None: no cap)


@dataclass(frozen=True, slots=True)
class _Claimed:
    row: OutboxMessage  # detached, still encrypted: decrypted per row when it is sent
    ticket_id: uuid.UUID | None  # None: a solicitation
    attempts: int

    @property
    def outbox_id(self) -> str:
        return str(self.row.id)


class OutboxSender:
    """Delivers outbox rows through the transport of their channel.

    ``webhooks``: subscriptions that receive ``reply.sent`` (queued with the outcome). With ``ownership`` it
    serves only the sellers it holds; ``run`` gives them up when it returns (a caller
    driving ``tick`` itself closes the ownership). Without it, it serves every seller: one sender only.
    """

    def __init__(
        self,
        *,
        db: Database,
        transports: Mapping[str, Transport],
        cipher: PiiCipher,
        config: SenderConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ownership: SellerOwnership | None = None,
        webhooks: Sequence[WebhookSubscription] = (),
    ) -> None:
        self._db = db
        self._ownership = ownership
        self._transports = transports
        self._cipher = cipher
        self._config = config
        self._clock = clock
        self._budget = SendBudget(config.budget)
        self._identical = IdenticalCap(config.identical_cap, cipher) if config.identical_cap else None
        self._retry = RetryPolicy(config.max_attempts, config.backoff_s, config.backoff_max_s)
        self._in_flight: Counter[str] = Counter()
        self._own: set[uuid.UUID] = set()  # rows this sender is sending now: never expired under its feet
        self._recorder = OutcomeRecorder(db, clock=clock, delay_s=config.record_delay_s, webhooks=webhooks)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep sends in flight until ``stop``; messages in flight are finished and recorded before returning."""
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        next_expiry = next_refresh = 0.0
        try:
            while not stop.is_set():
                claimed: list[_Claimed] = []
                try:
                    if self._ownership is not None and loop.time() >= next_refresh:
                        next_refresh = loop.time() + self._config.ownership_interval_s
                        await self._refresh_ownership()
                    if loop.time() >= next_expiry:
                        next_expiry = loop.time() + min(5.0, self._config.lease.total_seconds() / 4)
                        await self.expire_stale()
                    room = self._config.concurrency - len(tasks)
                    if room > 0:
                        claimed = await self._claim(limit=min(self._config.batch, room))
                except Exception as exc:  # noqa: BLE001  # the loop outlives any failure; rows keep their state
                    _log_loop_failure(exc)
                    await _sleep_unless(stop, self._config.loop_error_pause_s)
                    continue
                for item in claimed:
                    task = asyncio.create_task(self._deliver(item))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if not claimed or len(tasks) >= self._config.concurrency:
                    await self._pause(stop, tasks)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if self._ownership is not None:
                await self._ownership.close()

    async def tick(self) -> int:
        """Expire stale claims, claim a batch, send it, record the outcomes. Returns rows handled."""
        if self._ownership is not None:
            await self._refresh_ownership()
        await self.expire_stale()
        claimed = await self._claim(limit=self._config.batch)
        await asyncio.gather(*(self._deliver(item) for item in claimed))
        return len(claimed)

    async def expire_stale(self) -> int:
        """Rows left 'sending' past the lease (a crash mid-send) become 'unknown'; their tickets escalate."""
        now = self._clock()
        sellers = None if self._ownership is None else self._ownership.owned
        if sellers is not None and not sellers:
            return 0
        async with unit_of_work(self._db) as session:
            stale = [
                (i, t)
                for i, t in await outbox_repo.stale_claims(
                    session, before=now - self._config.lease, seller_ids=sellers
                )
                if i not in self._own
            ]
            if not stale:
                return 0
            for ticket_id in sorted({t for _, t in stale if t is not None}):
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

    async def _refresh_ownership(self) -> None:
        assert self._ownership is not None
        now = self._clock()
        taken = await self._ownership.refresh(
            busy=set(self._in_flight), now=now, stale_before=now - self._config.lease
        )
        # Another sender may have used the budget of a seller taken over: count it afresh in the database.
        self._budget.forget(taken)

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
        only = None if self._ownership is None else sorted(self._ownership.owned - set(busy))
        if only is not None and not only:
            return []
        async with unit_of_work(self._db) as session:
            rows = await outbox_repo.claim_due(
                session, now=now, limit=limit, per_seller=cap, exclude=busy, only=only
            )
            room = {seller: cap - self._in_flight[seller] for seller in {r.seller_id for r in rows}}
            kept: list[OutboxMessage] = []
            for row in rows:
                if room[row.seller_id] > 0:
                    room[row.seller_id] -= 1
                    kept.append(row)
                else:
                    _unclaim(row)
            await session.flush()
            # Check and consume atomically: no other sender counts these sellers until this commits.
            await lease_repo.lock_budgets(session, {row.seller_id for row in kept})
            deferred = await self._budget.over_budget(session, claimed=kept, now=now)
            for row in deferred:
                _unclaim(row)
                await defer_to_next_day(session, row, now=now)
            sendable = [row for row in kept if row not in deferred]
            held = await self._hold_identical(session, sendable, now=now)
            claimed = [_Claimed(row, row.ticket_id, row.attempts) for row in sendable if row not in held]
        if deferred:
            DEFERRED.inc(len(deferred))
            log.warning("sender.budget_deferred", extra={"rows": len(deferred)})
        if held:
            HELD.inc(len(held))
            log.warning("sender.identical_held", extra={"rows": len(held)})
        for item in claimed:
            self._in_flight[item.row.seller_id] += 1
            self._own.add(item.row.id)
        return claimed

    async def _hold_identical(
        self, session: AsyncSession, rows: list[OutboxMessage], *, now: datetime
    ) -> list[OutboxMessage]:
        """Hold the rows past the identical-message cap (counted under the budget lock, in this transaction)."""
        if self._identical is None or not rows:
            return []
        held = await self._identical.over_cap(session, claimed=rows, now=now)
        for row in held:
            await hold_row(session, row, cap=self._identical.cap, now=now)
        # The budget counted these rows as claimed; the next check counts what really went out.
        self._budget.forget({row.seller_id for row in held})
        return held

    async def _deliver(self, item: _Claimed) -> None:
        seller = item.row.seller_id
        channel = item.row.channel
        # The send continues the complaint's trace (the row keeps the traceparent of the span that queued it).
        span = tracer().start_span(
            "outbox send",
            context=parent_context(item.row.traceparent) or Context(),
            kind=SpanKind.PRODUCER,
            attributes={
                "outbox.id": item.outbox_id,
                "ticket.id": str(item.ticket_id),
                "seller.id": seller,
                "outbox.channel": channel,
                "outbox.attempt": item.attempts,
            },
        )
        try:
            with SEND_SECONDS.labels(channel).time(), _current(span):
                status, error, retry_at = await self._attempt(item)
                SENT.labels(channel, status).inc()
                if span.is_recording():
                    span.set_attribute("outbox.outcome", status)
                    if status in ("unknown", "failed"):
                        span.set_status(Status(StatusCode.ERROR, status))
                await self._record(item, status=status, error=error, retry_at=retry_at)
        except Exception as exc:  # noqa: BLE001  # recording failed: the row stays 'sending' and ends 'unknown'
            log.error(
                "sender.record_failed", extra={"outbox_id": item.outbox_id, "error": type(exc).__name__}
            )
        finally:
            span.end()
            self._own.discard(item.row.id)
            self._in_flight[seller] -= 1
            if self._in_flight[seller] <= 0:
                del self._in_flight[seller]

    async def _attempt(self, item: _Claimed) -> Outcome:
        """Build and send one row; every failure of this row becomes its outcome, never the loop's."""
        too_late = expired(item.row.expires_at, now=self._clock())
        if too_late is not None:
            return too_late
        try:
            transport = self._transports.get(item.row.channel)
            if transport is None:
                raise PermanentError(f"no transport for channel {item.row.channel}", code="no_transport")
            message = decrypt_row(item.row, self._cipher)
        except Exception as exc:  # noqa: BLE001  # nothing has left yet: retry if transient, else fail the row
            return prepare_failure(exc, attempts=item.attempts, policy=self._retry, now=self._clock())
        return await send_outcome(
            transport, message, attempts=item.attempts, policy=self._retry, clock=self._clock
        )

    async def _record(
        self, item: _Claimed, *, status: str, error: str | None, retry_at: datetime | None
    ) -> None:
        recorded = await self._recorder.record(
            item.row.id, item.ticket_id, status=status, error=error, retry_at=retry_at
        )
        if not recorded:
            return  # the lease expired meanwhile and the row is 'unknown' already
        if log.isEnabledFor(logging.INFO):
            log.info(
                "sender.outcome",
                extra={
                    "outbox_id": item.outbox_id,
                    "status": status,
                    "error": (error or "").split(":")[0][:60],
                },
            )


def _current(span: Span) -> contextlib.AbstractContextManager[Span]:
    return trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False)


def _unclaim(row: OutboxMessage) -> None:
    row.status = "pending"
    row.claimed_at = None
    row.attempts -= 1


def _log_loop_failure(exc: Exception) -> None:
    known = classify_failure(exc)
    if isinstance(known, RetryableError):
        log.warning("sender.db_unavailable", extra={"error": known.code})
    else:
        log.error("sender.loop_failed", extra={"error": type(exc).__name__})  # the message may carry PII


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
