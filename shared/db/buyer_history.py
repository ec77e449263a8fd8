"""Rolling-window buyer history counted in SQL over a buyer-events table (one home for both services).

The classifier counts over its own table to score a signal; the responder counts over its projection of the
same facts to answer the buyers API. Both tables take their columns from ``BuyerEventColumns``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ColumnElement, FromClause, String, and_, case, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.abuse import BuyerHistory
from shared.db.types import Timestamp

__all__ = ["BuyerEventColumns", "buyer_histories"]


class BuyerEventColumns:
    """Columns of one return, complaint or A-to-z claim of a buyer (salted hash), keyed by the signal's id."""

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    buyer_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # return | complaint | a_to_z
    reason: Mapped[str | None] = mapped_column(String(32))
    long_use: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)


async def buyer_histories(
    session: AsyncSession,
    *,
    events: FromClause,
    hashes: Iterable[str],
    now: datetime,
    sellers: Sequence[str] | None = None,
) -> dict[str, BuyerHistory]:
    """Counts per buyer hash (every hash gets an entry) from ``events``; ``sellers`` limits the rows counted."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return {}
    e = events.c

    def count(kind: str, days: int) -> ColumnElement[int]:
        return func.count().filter(and_(e.kind == kind, e.occurred_at >= now - timedelta(days=days)))

    reasons_90d = func.count(func.distinct(case((e.occurred_at >= now - timedelta(days=90), e.reason))))
    stmt = (
        select(
            e.buyer_hash,
            count("return", 30),
            count("return", 90),
            count("return", 365),
            count("complaint", 90),
            count("a_to_z", 365),
            reasons_90d,
            func.count().filter(and_(e.long_use, e.occurred_at >= now - timedelta(days=365))),
        )
        .where(e.buyer_hash.in_(wanted))
        .group_by(e.buyer_hash)
    )
    if sellers is not None:
        stmt = stmt.where(e.seller_id.in_(list(sellers)))
    out = {h: BuyerHistory() for h in wanted}
    for h, r30, r90, r365, c90, az, reasons, long_use in (await session.execute(stmt)).all():
        out[h] = BuyerHistory(
            returns_30d=r30,
            returns_90d=r90,
            returns_365d=r365,
            complaints_90d=c90,
            a_to_z_claims_365d=az,
            contradicting_reasons_90d=max(0, reasons - 1),
            long_use_returns_365d=long_use,
        )
    return out
