"""The delivery loop of the generic webhooks: claim due rows, POST each signed, record, back off.

A delivery is at least once: a crash between the POST and the record delivers it again after the lease, with
the same ``X-Complaints-Event-Id`` (receivers drop ids they have seen). Redelivered source events never add
rows (the unique key), so a receiver sees each event once unless a POST's answer was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row

from services.responder.webhooks import repository as repo
from services.responder.workers.webhook import WebhookAttempt, WebhookSender
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError

__all__ = ["DeliveryPolicy", "WebhookDispatcher", "run_webhook_deliveries"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Attempts and backoff of persistent deliveries."""

    max_attempts: int = 10
    backoff_s: float = 1.0
    backoff_max_s: float = 600.0
    lease: timedelta = timedelta(minutes=1)
    batch: int = 50

    def next_try(self, attempts: int, retry_after: float | None, *, now: datetime) -> datetime:
        """When to try again after ``attempts`` failed attempts (at least the receiver's Retry-After)."""
        base = min(self.backoff_max_s, self.backoff_s * 2 ** max(0, attempts - 1))
        delay = max(base * (0.5 + random.random() / 2), min(retry_after or 0.0, self.backoff_max_s))
        return now + timedelta(seconds=delay)


class WebhookDispatcher:
    """Posts due deliveries through the ``WebhookSender`` of their subscription."""

    def __init__(
        self,
        *,
        db: Database,
        senders: Mapping[str, WebhookSender],
        policy: DeliveryPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._senders = senders
        self._policy = policy
        self._clock = clock

    async def tick(self) -> int:
        """One claim, its POSTs (concurrently) and their outcomes; returns deliveries handled."""
        async with unit_of_work(self._db) as session:
            claimed = await repo.claim_due(
                session, now=self._clock(), lease=self._policy.lease, limit=self._policy.batch
            )
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._post(row) for row in claimed))
        now = self._clock()
        async with unit_of_work(self._db) as session:
            for row, result in zip(claimed, results, strict=True):
                status, error, not_before = self._outcome(row, result, now=now)
                await repo.record_outcome(
                    session, delivery_id=row.id, status=status, error=error, not_before=not_before, now=now
                )
        return len(claimed)

    async def _post(self, row: Row[Any]) -> WebhookAttempt | None:
        sender = self._senders.get(row.subscription)
        if sender is None:
            return None
        return await sender.attempt(row.body.encode(), event_type=row.event_type, event_id=str(row.event_id))

    def _outcome(
        self, row: Row[Any], result: WebhookAttempt | None, *, now: datetime
    ) -> tuple[str, str | None, datetime | None]:
        if result is None:
            return "failed", "no such subscription", None
        if result.delivered:
            return "sent", None, None
        if not result.retryable:
            log.warning("webhook.refused", extra={"delivery_id": row.id, "outcome": result.outcome})
            return "failed", result.outcome, None
        if row.attempts >= self._policy.max_attempts:
            log.warning("webhook.gave_up", extra={"delivery_id": row.id, "attempts": row.attempts})
            return "failed", f"gave up after {row.attempts} attempts: {result.outcome}", None
        return "pending", result.outcome, self._policy.next_try(row.attempts, result.retry_after, now=now)


async def run_webhook_deliveries(
    dispatcher: WebhookDispatcher, *, interval_s: float, stop: asyncio.Event
) -> None:
    """Deliver until ``stop``: straight on while there is work, else every ``interval_s``."""
    while not stop.is_set():
        handled = 0
        try:
            handled = await dispatcher.tick()
        except RetryableError as exc:
            log.warning("webhook.pass_failed", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop; rows keep their state
            log.error("webhook.pass_failed", extra={"exc_type": type(exc).__name__})
        if handled:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
