"""SQL of webhook deliveries: queue (duplicates add nothing), claim due rows, record outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import WebhookDelivery

__all__ = ["claim_due", "insert_deliveries", "record_outcome"]

_DELIVERIES = cast(Table, WebhookDelivery.__table__)


async def insert_deliveries(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> None:
    """Queue deliveries in one statement; an event a subscription already has is skipped."""
    if not rows:
        return
    d = _DELIVERIES.c
    stmt = insert(_DELIVERIES).on_conflict_do_nothing(index_elements=[d.subscription, d.event_id])
    await session.execute(stmt, list(rows))


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> Sequence[Row[Any]]:
    """Due pending deliveries, oldest first, moved ``lease`` ahead (a crash mid-POST delivers them again)."""
    d = _DELIVERIES.c
    due = (
        select(d.id)
        .where(d.status == "pending", d.not_before <= now)
        .order_by(d.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(_DELIVERIES)
        .where(d.id.in_(due.scalar_subquery()))
        .values(not_before=now + lease, attempts=d.attempts + 1)
        .returning(d.id, d.subscription, d.event_id, d.event_type, d.body, d.attempts)
    )
    return (await session.execute(stmt)).all()


async def record_outcome(
    session: AsyncSession,
    *,
    delivery_id: int,
    status: str,
    error: str | None,
    not_before: datetime | None,
    now: datetime,
) -> None:
    """Sent, failed, or pending again at ``not_before``."""
    d = _DELIVERIES.c
    values: dict[str, Any] = {"status": status, "last_error": (error or None) and error[:200]}
    if status == "sent":
        values["sent_at"] = now
    if not_before is not None:
        values["not_before"] = not_before
    await session.execute(
        update(_DELIVERIES).where(d.id == delivery_id, d.status == "pending").values(values)
    )
