"""Pruning the dedup ledger: ``ingest_seen`` keys older than ``INGEST_SEEN_RETENTION_DAYS`` are deleted.

The horizon is validated at start-up to outlast every redelivery (SQS retention plus the report backfill
window), so a pruned key can no longer come back. Replicas take an advisory lock per pass: one prunes, the
others skip. Deletes run in batches, one transaction each, so the ledger's inserts are never held up long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.ingest import repository
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError

__all__ = ["prune_ledger", "run_ledger_pruning"]

log = logging.getLogger(__name__)

_LOCK = "ingest:ledger-prune"


async def prune_ledger(*, db: Database, now: datetime, retention_days: int, batch: int = 5_000) -> int:
    """One pass: delete every key older than the horizon, ``batch`` at a time; how many went."""
    before = now - timedelta(days=retention_days)
    total = 0
    while True:
        async with unit_of_work(db) as session:
            if not await repository.try_lock(session, _LOCK):
                return total
            done = await repository.prune_seen(session, before=before, limit=batch)
        total += done
        if done < batch:
            return total


async def run_ledger_pruning(
    stop: asyncio.Event,
    *,
    db: Database,
    retention_days: int,
    interval_s: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Every ``interval_s`` a pruning pass, until ``stop``; a failed pass is logged and the next one retries."""
    while not stop.is_set():
        try:
            pruned = await prune_ledger(db=db, now=clock(), retention_days=retention_days)
            if pruned:
                log.info("ingest.ledger_pruned", extra={"keys": pruned})
        except RetryableError as exc:
            log.warning("ingest.ledger_prune_unavailable", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end ingest; the next one retries
            log.error("ingest.ledger_prune_failed", extra={"error": type(exc).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
