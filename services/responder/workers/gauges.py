"""The gauges counted in the database: outbox rows by state and tickets at risk of or past their SLA."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.responder.metrics import OUTBOX_ROWS, OUTBOX_STATES, SLA_STATES, TICKETS_SLA
from services.responder.workers import repository as repo
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError

__all__ = ["refresh_gauges", "run_gauges"]

log = logging.getLogger(__name__)


async def refresh_gauges(*, db: Database, now: datetime, window: timedelta) -> None:
    """Count once and set the gauges; a state or marketplace that has no rows now reads 0."""
    async with unit_of_work(db) as session:
        outbox = await repo.outbox_rows_by_state(session)
        sla = await repo.tickets_by_sla_state(session, now=now, window=window)
    for state in {*OUTBOX_STATES, *outbox}:
        OUTBOX_ROWS.labels(state).set(outbox.get(state, 0))
    seen = {labels[0] for labels in _label_sets(TICKETS_SLA)} | {m for m, _ in sla}
    for marketplace in seen:
        for state in SLA_STATES:
            TICKETS_SLA.labels(marketplace, state).set(sla.get((marketplace, state), 0))


def _label_sets(gauge: object) -> list[tuple[str, ...]]:
    metrics = getattr(gauge, "_metrics", {})  # prometheus_client keeps its children by label tuple
    return list(metrics)


async def run_gauges(
    *,
    db: Database,
    window: timedelta,
    interval_s: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
) -> None:
    """Refresh every ``interval_s`` until ``stop``; a failed count is logged and tried again next time."""
    while not stop.is_set():
        try:
            await refresh_gauges(db=db, now=clock(), window=window)
        except RetryableError as exc:
            log.warning("gauges.db_unavailable", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # a failed count must not end the loop
            log.error("gauges.refresh_failed", extra={"exc_type": type(exc).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
