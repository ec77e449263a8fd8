"""PII retention: buyer PII is nulled N days after delivery (or creation when the delivery date is unknown).

Non-personal columns (category, reasons, tags, ASIN, timestamps, outbox statuses) stay for analytics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.repositories import maintenance as repo
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError

__all__ = ["redact_expired", "run_retention"]

log = logging.getLogger(__name__)


async def redact_expired(
    session: AsyncSession, *, now: datetime, retention_days: int, batch: int = 500
) -> int:
    """Redact up to ``batch`` expired tickets in the caller's transaction; returns how many."""
    ids = await repo.expired_ticket_ids(session, cutoff=now - timedelta(days=retention_days), limit=batch)
    await repo.redact_tickets(session, ticket_ids=ids, now=now)
    return len(ids)


async def run_retention(
    *,
    db: Database,
    retention_days: int,
    interval_s: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    batch: int = 500,
) -> None:
    """Every ``interval_s``: redact in batches (one transaction each) until nothing is left, until ``stop``."""
    while not stop.is_set():
        total = 0
        try:
            while not stop.is_set():
                async with unit_of_work(db) as session:
                    done = await redact_expired(
                        session, now=clock(), retention_days=retention_days, batch=batch
                    )
                total += done
                if done < batch:
                    break
        except RetryableError as exc:
            log.warning("retention.db_unavailable", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop; the next one retries
            log.error("retention.pass_failed", extra={"exc_type": type(exc).__name__})
        if total:
            log.info("retention.redacted", extra={"tickets": total})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
