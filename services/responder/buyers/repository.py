"""SQL of the responder's buyer history: written from classified complaints, read by the buyers API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.buyers.projection import buyer_event_values
from services.responder.buyers.tables import BuyerHistoryRow
from shared.abuse import BuyerHistory
from shared.db.buyer_history import buyer_histories
from shared.events import ComplaintClassified

__all__ = ["buyer_events", "buyer_history", "record_buyer_events"]

_HISTORY = cast(Table, BuyerHistoryRow.__table__)


async def record_buyer_events(session: AsyncSession, *, events: Sequence[ComplaintClassified]) -> None:
    """Add the buyer-history rows the events carry, in the caller's transaction (idempotent on the key)."""
    rows = [v for v in map(buyer_event_values, events) if v is not None]
    if rows:
        # One constant statement over the rows: compiled once, not per batch (issue 14's profile).
        await session.execute(insert(_HISTORY).on_conflict_do_nothing(), rows)


async def buyer_events(
    session: AsyncSession, *, buyer_hash: str, sellers: Sequence[str], limit: int = 200
) -> Sequence[BuyerHistoryRow]:
    """Returns, complaints and A-to-z claims of the buyer with the given sellers, newest first."""
    e = BuyerHistoryRow
    stmt = (
        select(e)
        .where(e.buyer_hash == buyer_hash, e.seller_id.in_(sellers))
        .order_by(e.occurred_at.desc(), e.event_id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def buyer_history(
    session: AsyncSession, *, buyer_hash: str, sellers: Sequence[str], now: datetime
) -> BuyerHistory:
    """Rolling-window counts like the classifier's (the same query), only over the given sellers."""
    found = await buyer_histories(
        session, events=BuyerHistoryRow.__table__, hashes=[buyer_hash], now=now, sellers=sellers
    )
    return found[buyer_hash]
