"""Classifier tables: order context and buyer history (hashed buyer ids only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.buyer_history import BuyerEventColumns
from shared.db.types import JSON, Timestamp, updated_at_column

__all__ = ["BuyerEventRow", "ClassifierOrderRow", "SellerStatusRow"]


class ClassifierOrderRow(Base):
    """What the classifier knows about an order from earlier events."""

    __tablename__ = "classifier_orders"

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_status: Mapped[str | None] = mapped_column(String(32))
    fulfillment_type: Mapped[str | None] = mapped_column(String(8))
    purchase_date: Mapped[datetime | None] = mapped_column(Timestamp)
    latest_delivery_date: Mapped[datetime | None] = mapped_column(Timestamp)
    tracking_milestones: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, server_default=text("'[]'::jsonb")
    )
    order_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    buyer_cancel_requested: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    prior_contacts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    first_contact_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = updated_at_column()


class SellerStatusRow(Base):
    """Latest ACCOUNT_STATUS_CHANGED per seller."""

    __tablename__ = "classifier_seller_status"

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()


class BuyerEventRow(BuyerEventColumns, Base):
    """One return, complaint or A-to-z claim of a buyer (salted hash), for rolling-window history."""

    __tablename__ = "classifier_buyer_events"
    __table_args__ = (Index("ix_buyer_events_hash_time", "buyer_hash", "occurred_at"),)
