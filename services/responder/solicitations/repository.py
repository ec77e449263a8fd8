"""SQL of solicitations: their outbox rows, queued, rescheduled or skipped per order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.solicitations.schedule import SOLICITATION_ACTION, Decision, idempotency_key
from services.responder.tables import OrderContextRow, OutboxMessage

__all__ = ["CHANNEL", "OrderFacts", "apply_decision", "order_facts"]

CHANNEL = "solicitation"
_OUTBOX = cast(Table, OutboxMessage.__table__)
_ORDERS = cast(Table, OrderContextRow.__table__)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the schedule may look at: order facts, nothing about the buyer's experience."""

    order_status: str | None
    marketplace_id: str | None
    earliest_delivery_date: datetime | None
    latest_delivery_date: datetime | None


async def order_facts(session: AsyncSession, *, seller_id: str, order_id: str) -> OrderFacts | None:
    """Status, marketplace and delivery dates of an order as merged now (read fresh, never from the session's
    identity map: the context was just upserted with a Core statement)."""
    c = _ORDERS.c
    stmt = select(c.order_status, c.marketplace_id, c.earliest_delivery_date, c.latest_delivery_date).where(
        c.seller_id == seller_id, c.order_id == order_id
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return OrderFacts(
        row.order_status, row.marketplace_id, row.earliest_delivery_date, row.latest_delivery_date
    )


async def apply_decision(
    session: AsyncSession, *, seller_id: str, order_id: str, marketplace_id: str | None, decision: Decision
) -> None:
    """Queue, reschedule or skip the order's one solicitation row; a row no longer pending is never touched
    (once claimed it is the sender's, once sent, skipped or unknown it stays so)."""
    if decision.action == "wait":
        return
    skip = decision.action == "skip"
    o = _OUTBOX.c
    stmt = insert(_OUTBOX).values(
        id=uuid.uuid4(),
        idempotency_key=idempotency_key(seller_id, order_id),
        ticket_id=None,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        order_id=order_id,
        channel=CHANNEL,
        action=SOLICITATION_ACTION,
        status="skipped" if skip else "pending",
        last_error=f"{decision.reason}: decided when scheduling" if skip else None,
        not_before=decision.not_before,
        expires_at=decision.expires_at,
        created_by="auto",
    )
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[o.idempotency_key],
        set_={
            "status": new.status,
            "last_error": new.last_error,
            "not_before": new.not_before,
            "expires_at": new.expires_at,
            "marketplace_id": func.coalesce(new.marketplace_id, o.marketplace_id),
            "updated_at": func.now(),
        },
        where=o.status == "pending",
    )
    await session.execute(stmt)
