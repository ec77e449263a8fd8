"""SQL of order milestones: recording them, reading an order's history, finding stalled shipments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.shipments.milestones import DELIVERED, Milestone
from services.responder.shipments.tables import OrderMilestone
from services.responder.tables import OrderContextRow, Ticket

__all__ = [
    "ShipmentFacts",
    "milestones_of_order",
    "open_proactive_ticket",
    "record_milestones",
    "stalled_candidates",
]

_MILESTONES = cast(Table, OrderMilestone.__table__)


async def record_milestones(
    session: AsyncSession, *, seller_id: str, order_id: str, milestones: Sequence[Milestone]
) -> None:
    """Keep each milestone once (a repeated notification adds nothing)."""
    if not milestones:
        return
    rows = [
        {
            "seller_id": seller_id,
            "order_id": order_id,
            "code": m.code,
            "occurred_at": m.occurred_at,
            "carrier": m.carrier,
            "tracking_number": m.tracking_number,
            "description": m.description,
        }
        for m in milestones
    ]
    await session.execute(insert(_MILESTONES).values(rows).on_conflict_do_nothing())


async def milestones_of_order(
    session: AsyncSession, *, seller_id: str, order_id: str, limit: int = 500
) -> Sequence[OrderMilestone]:
    """An order's milestones, oldest first."""
    m = OrderMilestone
    stmt = (
        select(m)
        .where(m.seller_id == seller_id, m.order_id == order_id)
        .order_by(m.occurred_at, m.code)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """An order that shipped and is not delivered, with what its carrier last said."""

    seller_id: str
    order_id: str
    marketplace_id: str | None
    carrier: str | None
    tracking_number: str | None
    last_milestone: str | None
    last_milestone_at: datetime | None
    latest_delivery_date: datetime | None


async def stalled_candidates(
    session: AsyncSession, *, moved_before: datetime, now: datetime, horizon: datetime, limit: int
) -> list[ShipmentFacts]:
    """Undelivered orders without a ticket of their own whose tracking has not moved since ``moved_before``
    (the loosest threshold; the caller applies each carrier's) or whose latest delivery date has passed.

    Only orders with tracking milestones (a seller whose orders carry no tracking notifications would
    otherwise see every order past its delivery date as stalled), not fulfilled by Amazon (Amazon answers for
    FBA deliveries), heard of since ``horizon``."""
    o, m = OrderContextRow, OrderMilestone
    last = (
        select(
            m.seller_id,
            m.order_id,
            func.max(m.occurred_at).label("last_at"),
        )
        .group_by(m.seller_id, m.order_id)
        .subquery()
    )
    delivered = exists().where(m.seller_id == o.seller_id, m.order_id == o.order_id, m.code == DELIVERED)
    has_ticket = exists().where(
        Ticket.seller_id == o.seller_id, Ticket.thread_key == func.concat("order:", o.order_id)
    )
    stmt = (
        select(o, last.c.last_at)
        .join(last, and_(last.c.seller_id == o.seller_id, last.c.order_id == o.order_id))
        .where(
            o.last_event_at >= horizon,
            func.coalesce(o.fulfillment_type, "") != "AFN",
            func.coalesce(o.tracking_milestone, "") != DELIVERED,
            ~delivered,
            ~has_ticket,
            or_(o.order_status.is_(None), o.order_status.notin_(("Canceled", "Cancelled", "Pending"))),
            or_(last.c.last_at < moved_before, o.latest_delivery_date < now),
        )
        .order_by(o.seller_id, o.order_id)
        .limit(limit)
    )
    out: list[ShipmentFacts] = []
    for row, last_at in (await session.execute(stmt)).all():
        tracking = await _last_milestone(session, seller_id=row.seller_id, order_id=row.order_id)
        out.append(
            ShipmentFacts(
                seller_id=row.seller_id,
                order_id=row.order_id,
                marketplace_id=row.marketplace_id,
                carrier=row.carrier,
                tracking_number=tracking.tracking_number if tracking else None,
                last_milestone=tracking.code if tracking else row.tracking_milestone,
                last_milestone_at=last_at,
                latest_delivery_date=row.latest_delivery_date,
            )
        )
    return out


async def _last_milestone(session: AsyncSession, *, seller_id: str, order_id: str) -> OrderMilestone | None:
    m = OrderMilestone
    stmt = (
        select(m)
        .where(m.seller_id == seller_id, m.order_id == order_id)
        .order_by(m.occurred_at.desc(), m.code)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_proactive_ticket(session: AsyncSession, *, ticket: Ticket) -> bool:
    """Insert the order's ticket unless the order has one (the buyer's own thread key, so a later message
    joins it); True when this call opened it."""
    values = {c.key: getattr(ticket, c.key) for c in _TICKET_COLUMNS if getattr(ticket, c.key) is not None}
    stmt = (
        insert(_TICKETS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[_TICKETS.c.seller_id, _TICKETS.c.thread_key])
        .returning(_TICKETS.c.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


_TICKETS = cast(Table, Ticket.__table__)
_TICKET_COLUMNS = [c for c in _TICKETS.columns if c.key != "summary_doc"]
