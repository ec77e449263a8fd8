"""SQL for a buyer's history (salted hash only), scoped to the caller's sellers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import FunctionFilter

from services.classifier.domain import BuyerHistory
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
    """Rolling-window counts like the classifier's, but only over the caller's sellers."""
    e = BuyerEventRow

    def count(kind: str, days: int) -> FunctionFilter[int]:
        return func.count().filter(and_(e.kind == kind, e.occurred_at >= now - timedelta(days=days)))

    reasons_90d = func.count(func.distinct(case((e.occurred_at >= now - timedelta(days=90), e.reason))))
    stmt = select(
        count("return", 30),
        count("return", 90),
        count("return", 365),
        count("complaint", 90),
        count("a_to_z", 365),
        reasons_90d,
        func.count().filter(and_(e.long_use, e.occurred_at >= now - timedelta(days=365))),
    ).where(e.buyer_hash == buyer_hash, e.seller_id.in_(sellers))
    r30, r90, r365, c90, az, reasons, long_use = (await session.execute(stmt)).one()
    return BuyerHistory(
        returns_30d=r30,
        returns_90d=r90,
        returns_365d=r365,
        complaints_90d=c90,
        a_to_z_claims_365d=az,
        contradicting_reasons_90d=max(0, reasons - 1),
        long_use_returns_365d=long_use,
    )
