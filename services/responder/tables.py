"""Responder tables: tickets with their timeline, order context, the outbox and processed-event keys.

Columns ending in ``_enc`` hold buyer PII encrypted with ``shared.crypto.PiiCipher``; the retention job nulls
them after the configured number of days while the non-personal columns stay for analytics.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import JSON, JsonDoc, Timestamp, created_at_column, updated_at_column

__all__ = ["OrderContextRow", "OutboxMessage", "Ticket", "TicketEvent", "WebhookDelivery"]


class OrderContextRow(Base):
    """Latest known order and shipment state, from SP-API notifications."""

    __tablename__ = "order_context"

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    marketplace_id: Mapped[str | None] = mapped_column(String(32))
    order_status: Mapped[str | None] = mapped_column(String(32))
    fulfillment_type: Mapped[str | None] = mapped_column(String(8))
    purchase_date: Mapped[datetime | None] = mapped_column(Timestamp)
    earliest_delivery_date: Mapped[datetime | None] = mapped_column(Timestamp)
    latest_delivery_date: Mapped[datetime | None] = mapped_column(Timestamp)
    latest_ship_date: Mapped[datetime | None] = mapped_column(Timestamp)
    tracking_milestone: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    order_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    last_event_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()


class Ticket(Base):
    """One complaint thread: seller + order + buyer."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("seller_id", "thread_key", name="uq_tickets_seller_thread"),
        Index("ix_tickets_seller_status_due", "seller_id", "status", "due_at"),
        Index("ix_tickets_seller_created", "seller_id", "created_at", "id"),
        Index("ix_tickets_seller_due", "seller_id", "due_at", "id"),  # GET /v1/tickets?sort=due_at
        Index("ix_tickets_seller_status_created", "seller_id", "status", "created_at", "id"),  # ?status=
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    marketplace_id: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    thread_key: Mapped[str] = mapped_column(String(256), nullable=False)
    buyer_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False, server_default="new")
    priority: Mapped[str] = mapped_column(String(2), nullable=False, server_default="P3")
    priority_override: Mapped[str | None] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(32), nullable=False, server_default="none")
    tags: Mapped[list[JsonDoc]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    confidence: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[list[JsonDoc]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    model_version: Mapped[str | None] = mapped_column(String(64))
    abusive_score: Mapped[float | None] = mapped_column(Float)
    assignee: Mapped[str | None] = mapped_column(String(128))
    asin: Mapped[str | None] = mapped_column(String(16))
    sku: Mapped[str | None] = mapped_column(String(64))
    no_response_needed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    due_at: Mapped[datetime | None] = mapped_column(Timestamp)
    ageing: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    first_response_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_buyer_message_at: Mapped[datetime | None] = mapped_column(Timestamp)
    sla_alerted: Mapped[str | None] = mapped_column(String(16))
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_message_id: Mapped[str | None] = mapped_column(String(512))
    buyer_alias_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    pii_redacted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # The list view's JSON, rendered by the trigger tickets_summary_doc on every insert and update
    # (migration 5e0c2a9d41b7); never written by the application, never loaded unless asked for.
    summary_doc: Mapped[str] = mapped_column(
        Text, nullable=False, server_default=FetchedValue(), server_onupdate=FetchedValue(), deferred=True
    )


class TicketEvent(Base):
    """The timeline: signals, classifications, replies, status changes, context, who did what."""

    __tablename__ = "ticket_events"
    # Complaints per ASIN and day (the spike pass) are counted by when the signal happened, not when its
    # ticket was written: a 30-day returns backfill arriving at once is not a spike.
    __table_args__ = (
        Index("ix_ticket_events_signal_time", "occurred_at", postgresql_where=text("kind = 'signal'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False, server_default="system")
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    data: Mapped[JsonDoc] = mapped_column(JSON, nullable=False, server_default=text("'{}'::jsonb"))
    pii_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = created_at_column()


class OutboxMessage(Base):
    """A reply to send, committed with the ticket change; the sender delivers it exactly once or says unknown.

    Status: draft (escalated or agent-held), blocked (linter said no), pending, sending (claimed; a crash
    here means the outcome is unknown), sent, unknown (never re-sent automatically), failed (permanent), held
    (an automatic text past the identical-message cap: waits for a person, outbox/identical.py), skipped (a
    solicitation Amazon's rules leave out: the reason is the first word of ``last_error``).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "not_before"),
        # the daily send budget counts a seller's recent sends
        Index("ix_outbox_seller_status_claimed", "seller_id", "status", "claimed_at"),
        # the fair claim ranks each seller's pending rows by age
        Index(
            "ix_outbox_pending_by_seller",
            "seller_id",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(512), nullable=False, unique=True)
    # None for a solicitation: it belongs to an order, not to a ticket
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    marketplace_id: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # email | messaging | solicitation
    action: Mapped[str | None] = mapped_column(String(64))  # messaging action name
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    template_id: Mapped[str | None] = mapped_column(String(128))
    template_version: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    fallback: Mapped[str | None] = mapped_column(String(64))
    lint: Mapped[list[JsonDoc]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    mail_headers: Mapped[JsonDoc] = mapped_column(JSON, nullable=False, server_default=text("'{}'::jsonb"))
    to_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False, server_default="auto")
    traceparent: Mapped[str | None] = mapped_column(String(55))  # the send continues the complaint's trace
    not_before: Mapped[datetime | None] = mapped_column(Timestamp)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)  # claimed later: skipped, never sent
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookDelivery(Base):
    """One event for one webhook subscription, written in the transaction of the change it reports.

    Status: pending (due at ``not_before``; a claim moves it by the lease, so a crash mid-POST delivers it
    again with the same event id), sent, failed (refused with a 4xx, or attempts used up).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription", "event_id", name="uq_webhook_deliveries_subscription_event"),
        Index("ix_webhook_deliveries_due", "not_before", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(64), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # the exact bytes signed and sent, every attempt
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    not_before: Mapped[datetime] = mapped_column(Timestamp, nullable=False, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = created_at_column()
