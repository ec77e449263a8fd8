"""Helpdesk sync tables: which sellers sync, each ticket's remote twin, and the queue of changes to push.

``helpdesk_sync`` rows are written by the trigger ``helpdesk_sync_enqueue`` (migration b9b617f6a6a1) on every
timeline entry of a ticket whose seller has a row in ``helpdesk_accounts``: one row per ticket change, in
the same transaction as the change, whichever code path made it. The worker (sync.py) delivers them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import JSON, JsonDoc, Timestamp, created_at_column, updated_at_column

__all__ = ["HelpdeskAccount", "HelpdeskLink", "HelpdeskSyncRow"]


class HelpdeskAccount(Base):
    """A seller whose tickets are mirrored (written from the settings when the sync worker starts)."""

    __tablename__ = "helpdesk_accounts"

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class HelpdeskLink(Base):
    """Our ticket and its remote twin: the remote id, what was pushed last and the newest remote update seen."""

    __tablename__ = "helpdesk_links"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    remote_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    pushed: Mapped[JsonDoc] = mapped_column(JSON, nullable=False, server_default=text("'{}'::jsonb"))
    remote_status: Mapped[str | None] = mapped_column(String(16))
    remote_updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = updated_at_column()


class HelpdeskSyncRow(Base):
    """One ticket change to push: pending -> sending -> sent | pending (retry) | failed (permanent)."""

    __tablename__ = "helpdesk_sync"
    __table_args__ = (
        Index(
            "ix_helpdesk_sync_open",
            "ticket_id",
            "id",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    event_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # ticket_events.id
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(Timestamp)
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = created_at_column()
