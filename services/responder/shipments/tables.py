"""Tracking milestones per order, as SHIPMENT_TRACKING_MILESTONE_CHANGED reported them (no buyer PII)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import Timestamp, created_at_column

__all__ = ["OrderMilestone"]


class OrderMilestone(Base):
    """One carrier milestone of an order; the same milestone reported again is one row (primary key)."""

    __tablename__ = "order_milestones"
    __table_args__ = (Index("ix_order_milestones_seller_time", "seller_id", "occurred_at"),)

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, primary_key=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(256))
    recorded_at: Mapped[datetime] = created_at_column()
