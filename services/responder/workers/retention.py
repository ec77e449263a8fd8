"""PII retention: buyer PII is nulled N days after delivery (or creation when the delivery date is unknown).

Non-personal columns (category, reasons, tags, ASIN, timestamps, outbox statuses) stay for analytics. The same
pass prunes the consumers' processed-event keys once they are older than any redelivery could be
(``RESPONDER_API_PROCESSED_EVENTS_RETENTION_DAYS``, validated to exceed the input topics' retention).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.metrics import RETENTION_LAST_SUCCESS
from services.responder.workers import repository as repo
from shared.db.idempotency import prune_processed
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError

__all__ = ["prune_processed_keys", "redact_expired", "run_retention"]

log = logging.getLogger(__name__)


async def redact_expired(
    session: AsyncSession, *, now: datetime, retention_days: int, batch: int = 500
) -> int:
    """Redact up to ``batch`` expired tickets in the caller's transaction; returns how many."""
    ids = await repo.expired_ticket_ids(session, cutoff=now - timedelta(days=retention_days), limit=batch)
    await repo.redact_tickets(session, ticket_ids=ids, now=now)
    return len(ids)


async def prune_processed_keys(
    session: AsyncSession, *, now: datetime, retention_days: int, batch: int = 5_000
) -> int:
    """Delete up to ``batch`` processed-event keys older than the horizon in the caller's transaction."""
    return await prune_processed(session, before=now - timedelta(days=retention_days), limit=batch)


async def run_retention(
    *,
    db: Database,
    retention_days: int,
    interval_s: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    batch: int = 500,
    processed_retention_days: int | None = None,
) -> None:
    """Every ``interval_s``: redact, then prune processed-event keys, in batches (one transaction each) until
    nothing is left, until ``stop``."""
    while not stop.is_set():
        total = pruned = 0
        try:
            while not stop.is_set():
                async with unit_of_work(db) as session:
                    done = await redact_expired(
                        session, now=clock(), retention_days=retention_days, batch=batch
                    )
                total += done
                if done < batch:
                    break
            while processed_retention_days is not None and not stop.is_set():
                async with unit_of_work(db) as session:
                    done = await prune_processed_keys(
                        session, now=clock(), retention_days=processed_retention_days, batch=batch * 10
                    )
                pruned += done
                if done < batch * 10:
                    break
        except RetryableError as exc:
            log.warning("retention.db_unavailable", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop; the next one retries
            log.error("retention.pass_failed", extra={"exc_type": type(exc).__name__})
        else:
            if not stop.is_set():  # a pass cut short by shutdown did not finish
                RETENTION_LAST_SUCCESS.set(clock().timestamp())
        if total:
            log.info("retention.redacted", extra={"tickets": total})
        if pruned:
            log.info("retention.processed_keys_pruned", extra={"keys": pruned})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
