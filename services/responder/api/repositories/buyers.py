"""SQL for a buyer's tickets (salted hash only), scoped to the caller's sellers; the history is the buyers room's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import Ticket

__all__ = ["buyer_tickets"]


async def buyer_tickets(
    session: AsyncSession, *, buyer_hash: str, sellers: Sequence[str], limit: int = 100
) -> Sequence[Ticket]:
    """The buyer's tickets with the caller's sellers, newest first."""
    stmt = (
        select(Ticket)
        .where(Ticket.buyer_hash == buyer_hash, Ticket.seller_id.in_(sellers))
        .order_by(Ticket.created_at.desc(), Ticket.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()
