"""SQL for a buyer's history (salted hash only), scoped to the caller's sellers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.classifier.domain import BuyerHistory
from services.classifier.repository_batch import buyer_histories
from services.classifier.tables import BuyerEventRow
from services.responder.tables import Ticket

__all__ = ["buyer_events", "buyer_history", "buyer_tickets"]


async def buyer_events(
    session: AsyncSession, *, buyer_hash: str, sellers: Sequence[str], limit: int = 200
) -> Sequence[BuyerEventRow]:
    """Returns, complaints and A-to-z claims of the buyer with the caller's sellers, newest first."""
    e = BuyerEventRow
    stmt = (
        select(e)
        .where(e.buyer_hash == buyer_hash, e.seller_id.in_(sellers))
        .order_by(e.occurred_at.desc(), e.event_id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


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


async def buyer_history(
    session: AsyncSession, *, buyer_hash: str, sellers: Sequence[str], now: datetime
) -> BuyerHistory:
    """Rolling-window counts like the classifier's (the same query), only over the caller's sellers."""
    found = await buyer_histories(session, hashes=[buyer_hash], now=now, sellers=sellers)
    return found[buyer_hash]
