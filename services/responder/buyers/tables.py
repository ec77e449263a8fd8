"""The responder's buyer-history projection (salted buyer hashes only, no PII)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import Timestamp

__all__ = ["BuyerHistoryRow"]


class BuyerHistoryRow(Base):
    """One return, complaint or A-to-z claim of a buyer, as a ComplaintClassified carried it.

    The key is the signal's event id (as in the classifier's own history), so a replayed or re-classified
    signal adds no second row.
    """

    __tablename__ = "responder_buyer_events"
    __table_args__ = (Index("ix_responder_buyer_events_hash_time", "buyer_hash", "occurred_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    buyer_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # return | complaint | a_to_z
    reason: Mapped[str | None] = mapped_column(String(32))
    long_use: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
