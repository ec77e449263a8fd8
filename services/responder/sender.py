"""The outbox sender: claim, send, record. A buyer is never messaged twice.

Each row goes pending -> sending (committed before any network I/O) -> sent | pending (retry later, only when
the remote certainly did not act) | unknown | failed. A crash while a row is 'sending' leaves it there; after
the lease it becomes 'unknown' and is surfaced for a human instead of being re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter

from services.responder import repository
from services.responder.tables import OutboxMessage, Ticket
from services.responder.transports import OutboundMessage, OutcomeUnknown, Transport
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError

__all__ = ["OutboxSender", "SenderConfig"]

log = logging.getLogger(__name__)

SENT = Counter("outbox_messages_total", "Outbox outcomes", ["channel", "outcome"])


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Pacing and retry policy of the sender."""

    batch: int = 50
    poll_interval_s: float = 0.2
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_s: float = 2.0
    backoff_max_s: float = 300.0
    concurrency: int = 16


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

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; a message in flight is finished and recorded before returning."""
        while not stop.is_set():
            try:
                done = await self.tick()
            except RetryableError as exc:
                log.warning("sender.db_unavailable", extra={"error": exc.code})
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._config.poll_interval_s)

    async def tick(self) -> int:
        """Expire stale claims, claim a batch, send it, record the outcomes. Returns rows handled."""
        now = self._clock()
        async with unit_of_work(self._db) as session:
            expired = await repository.mark_stale_sending_unknown(session, now=now, lease=self._config.lease)
        if expired:
            log.warning("sender.outcome_unknown", extra={"rows": expired})
        async with unit_of_work(self._db) as session:
            rows = await repository.claim_outbox(session, now=now, limit=self._config.batch)
            messages = [(row.attempts, self._decrypt(row)) for row in rows]
        if not messages:
            return 0
        gate = asyncio.Semaphore(self._config.concurrency)

        async def one(item: tuple[int, OutboundMessage]) -> None:
            async with gate:
                attempts, message = item
                await self._send_and_record(message, attempts)

        await asyncio.gather(*(one(m) for m in messages))
        return len(messages)

    def _decrypt(self, row: OutboxMessage) -> OutboundMessage:
        return OutboundMessage(
            outbox_id=str(row.id),
            seller_id=row.seller_id,
            marketplace_id=row.marketplace_id,
            order_id=row.order_id,
            channel=row.channel,
            action=row.action,
            to=self._cipher.decrypt(row.to_enc),
            subject=self._cipher.decrypt(row.subject_enc),
            body=self._cipher.decrypt(row.body_enc) or "",
            language=row.language,
            template_id=row.template_id,
            headers={str(k): str(v) for k, v in (row.mail_headers or {}).items()},
        )

    async def _send_and_record(self, message: OutboundMessage, attempts: int) -> None:
        transport = self._transports.get(message.channel)
        status, error, retry_at = "sent", None, None
        if transport is None:
            status, error = "failed", f"no transport for channel {message.channel}"
        else:
            try:
                await transport.send(message)
            except OutcomeUnknown as exc:
                status, error = "unknown", str(exc)
            except PermanentError as exc:
                status, error = "failed", f"{exc.code}: {exc}"
            except RetryableError as exc:
                if attempts >= self._config.max_attempts:
                    status, error = "failed", f"gave up after {attempts} attempts: {exc}"
                else:
                    status, error = "pending", f"{exc.code}: {exc}"
                    retry_at = self._clock() + timedelta(seconds=self._backoff(attempts, exc.retry_after))
            except Exception as exc:  # noqa: BLE001  # an unclassified failure may have sent: never resend
                status, error = "unknown", f"unexpected {type(exc).__name__}: {exc}"
        SENT.labels(message.channel, status).inc()
        await self._record(message, status=status, error=error, retry_at=retry_at)

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        base = min(self._config.backoff_max_s, self._config.backoff_s * 2 ** max(0, attempts - 1))
        return float(max(retry_after or 0.0, base * (0.5 + random.random() / 2)))  # jitter only

    async def _record(
        self, message: OutboundMessage, *, status: str, error: str | None, retry_at: datetime | None
    ) -> None:
        now = self._clock()
        async with unit_of_work(self._db) as session:
            row = await repository.record_outcome(
                session,
                message_id=uuid.UUID(message.outbox_id),
                status=status,
                now=now,
                error=error,
                retry_at=retry_at,
            )
            if row is None:
                return  # the lease expired meanwhile and the row is 'unknown' already
            ticket = await session.get(Ticket, row.ticket_id, with_for_update=True)
            if ticket is not None:
                _apply_outcome(ticket, status=status, now=now)
                await repository.add_timeline(
                    session,
                    ticket_id=ticket.id,
                    kind="reply_" + status,
                    occurred_at=now,
                    actor=row.created_by,
                    data={"outbox_id": message.outbox_id, "channel": row.channel, "error": error},
                )
        log.info(
            "sender.outcome",
            extra={
                "outbox_id": message.outbox_id,
                "status": status,
                "error": (error or "").split(":")[0][:60],
            },
        )


def _apply_outcome(ticket: Ticket, *, status: str, now: datetime) -> None:
    if status == "sent":
        ticket.first_response_at = ticket.first_response_at or now
        if ticket.status in ("new", "awaiting_reply", "escalated"):
            ticket.status = "replied"
    elif status in ("unknown", "failed"):
        ticket.status = "escalated"
    ticket.version += 1
