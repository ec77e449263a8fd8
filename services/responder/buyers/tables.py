"""The responder's buyer-history projection (salted buyer hashes only, no PII)."""

from __future__ import annotations

from sqlalchemy import Index

from shared.db.base import Base
from shared.db.buyer_history import BuyerEventColumns

__all__ = ["BuyerHistoryRow"]


class BuyerHistoryRow(BuyerEventColumns, Base):
    """One return, complaint or A-to-z claim of a buyer, as a ComplaintClassified carried it.

    The key is the signal's event id (as in the classifier's own history), so a replayed or re-classified
    signal adds no second row.
    """

    __tablename__ = "responder_buyer_events"
    __table_args__ = (Index("ix_responder_buyer_events_hash_time", "buyer_hash", "occurred_at"),)
