"""Account-health tables of the responder: Amazon's reported figures, defect signals per order, ASIN spikes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import JSON, JsonDoc, Timestamp, created_at_column

__all__ = ["AccountHealthRow", "AsinSpikeRow", "DefectSignalRow", "OdrWarningRow"]


class AccountHealthRow(Base):
    """One AccountHealthReported: Amazon's figures for a seller and marketplace at one fetch."""

    __tablename__ = "account_health_reports"
    __table_args__ = (
        Index("ix_account_health_seller_market_time", "seller_id", "marketplace_id", "reported_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    marketplace_id: Mapped[str] = mapped_column(String(32), nullable=False)
    reported_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    report_id: Mapped[str | None] = mapped_column(String(64))
    account_status: Mapped[str | None] = mapped_column(String(32))
    account_health_rating: Mapped[str | None] = mapped_column(String(16))
    # OrderDefectFigures per fulfilment channel (mfn, afn) as the event carries them.
    order_defect_rates: Mapped[list[JsonDoc]] = mapped_column(
        JSON, nullable=False, server_default=text("'[]'::jsonb")
    )
    late_shipment_rate: Mapped[float | None] = mapped_column(Float)
    pre_fulfillment_cancellation_rate: Mapped[float | None] = mapped_column(Float)
    valid_tracking_rate: Mapped[float | None] = mapped_column(Float)
    on_time_delivery_rate: Mapped[float | None] = mapped_column(Float)
    policy_violations: Mapped[int | None] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    recorded_at: Mapped[datetime] = created_at_column()


class DefectSignalRow(Base):
    """An order defect we saw ourselves (1-2 star feedback, an A-to-z claim): one row per order and kind."""

    __tablename__ = "health_defect_signals"
    __table_args__ = (Index("ix_health_defects_seller_time", "seller_id", "occurred_at"),)

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    marketplace_id: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)


class AsinSpikeRow(Base):
    """A complaint spike raised for one ASIN and UTC day (once: the unique key is the alert's idempotency)."""

    __tablename__ = "asin_spikes"
    __table_args__ = (
        UniqueConstraint("seller_id", "marketplace_id", "asin", "day", name="uq_asin_spikes_day"),
        Index("ix_asin_spikes_seller_day", "seller_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    marketplace_id: Mapped[str] = mapped_column(String(32), nullable=False)
    asin: Mapped[str] = mapped_column(String(16), nullable=False)
    day: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    complaints: Mapped[int] = mapped_column(Integer, nullable=False)
    baseline_per_day: Mapped[float] = mapped_column(Float, nullable=False)
    p_value: Mapped[float] = mapped_column(Float, nullable=False)
    top_reasons: Mapped[list[JsonDoc]] = mapped_column(
        JSON, nullable=False, server_default=text("'[]'::jsonb")
    )
    example_ticket_ids: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, server_default=text("'[]'::jsonb")
    )
    raised_at: Mapped[datetime] = created_at_column()


class OdrWarningRow(Base):
    """An ODR threshold our estimate crossed ahead of Amazon's report (the key makes the alert once)."""

    __tablename__ = "odr_warnings"

    alert_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    marketplace_id: Mapped[str] = mapped_column(String(32), nullable=False)
    fulfillment: Mapped[str] = mapped_column(String(8), nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    estimate: Mapped[float] = mapped_column(Float, nullable=False)
    amazon_rate: Mapped[float | None] = mapped_column(Float)
    raised_at: Mapped[datetime] = created_at_column()
