"""Ingest tables: the dedup ledger and the report fetches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import Timestamp, created_at_column, updated_at_column

__all__ = ["IngestSeen", "ReportFetch"]


class IngestSeen(Base):
    """A dedup key whose event Kafka has acked; the same key again is skipped, across restarts."""

    __tablename__ = "ingest_seen"

    dedup_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    first_seen_at: Mapped[datetime] = created_at_column()


class ReportFetch(Base):
    """A report we requested or were told about, and how far its processing got."""

    __tablename__ = "ingest_report_fetches"

    report_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    report_type: Mapped[str] = mapped_column(String(96), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # requested | done | failed
    rows: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = created_at_column()
    data_end_time: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = updated_at_column()
