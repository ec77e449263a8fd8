"""SQL for reading a ticket through the ORM and changing it (PATCH), always within the caller's sellers.

The hot list and detail reads live in ``ticket_reads`` (plain asyncpg).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent

__all__ = ["get_ticket", "order_context", "replies_of", "timeline_of"]


async def get_ticket(
    session: AsyncSession, *, ticket_id: uuid.UUID, sellers: Sequence[str], for_update: bool = False
) -> Ticket | None:
    """A ticket of one of ``sellers``; another tenant's id reads as absent."""
    if not sellers:
        return None
    stmt = select(Ticket).where(Ticket.id == ticket_id, Ticket.seller_id.in_(sellers))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def timeline_of(
    session: AsyncSession, *, ticket_id: uuid.UUID, limit: int = 1000
) -> Sequence[TicketEvent]:
    """The newest ``limit`` timeline entries, oldest first."""
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.occurred_at.desc(), TicketEvent.id.desc())
        .limit(limit)
    )
    rows = list((await session.execute(stmt)).scalars().all())
    rows.reverse()
    return rows


async def replies_of(session: AsyncSession, *, ticket_id: uuid.UUID) -> Sequence[OutboxMessage]:
    """Every outbox row of the ticket, oldest first."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def order_context(
    session: AsyncSession, *, seller_id: str, order_id: str | None
) -> OrderContextRow | None:
    """The order context of a ticket's order."""
    if not order_id:
        return None
    return await session.get(OrderContextRow, (seller_id, order_id))
