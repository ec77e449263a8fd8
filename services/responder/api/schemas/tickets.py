"""Ticket models: list filters, summaries, the detail view with its timeline, and the PATCH body."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.responder.api.schemas.common import Code, Identifier, Instant, Line, Model, PriorityCode
from services.responder.tickets.sla import SlaState
from services.responder.tickets.status import TicketStatus

__all__ = [
    "Classification",
    "OrderContextOut",
    "ReplyOut",
    "Status",
    "TagOut",
    "TicketDetail",
    "TicketPage",
    "TicketPatch",
    "TicketPii",
    "TicketQuery",
    "TicketSummary",
    "TimelineEntry",
]

Status = TicketStatus


class TicketQuery(BaseModel):
    """Filters, sort and page of GET /v1/tickets (repeat a list parameter to match any of its values)."""

    model_config = ConfigDict(extra="ignore")

    status: list[Status] = Field(default_factory=list)
    priority: list[Literal["P1", "P2", "P3", "P4"]] = Field(
        default_factory=list, description="Effective priority (the override when set)."
    )
    category: list[Code] = Field(default_factory=list)
    tag: list[Code] = Field(default_factory=list, description="Tickets carrying every given tag.")
    seller_id: list[Identifier] = Field(default_factory=list)
    marketplace_id: list[Identifier] = Field(default_factory=list)
    asin: list[Identifier] = Field(default_factory=list)
    sku: list[Identifier] = Field(default_factory=list)
    language: list[Code] = Field(default_factory=list)
    assignee: Line | None = None
    unassigned: bool = Field(default=False, description="Only tickets nobody is assigned to.")
    sla: Literal["breached", "due_soon", "ok"] | None = Field(
        default=None,
        description="Still awaiting a reply and past the deadline, due within the window, or due after it.",
    )
    due_within_hours: int | None = Field(
        default=None,
        ge=1,
        le=24 * 366,
        description="Window of sla=due_soon and sla=ok (implies due_soon when given alone).",
    )
    created_from: Instant | None = None
    created_to: Instant | None = None
    updated_from: Instant | None = None
    updated_to: Instant | None = None
    sort: Literal["created_at", "updated_at", "due_at", "priority"] = "created_at"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=1000)
    cursor: str | None = Field(default=None, max_length=1024, description="next_cursor of the previous page.")


class TagOut(Model):
    """A tag and its confidence (1.0 for tags set by people)."""

    name: str
    confidence: float


class TicketPii(Model):
    """Buyer PII, decrypted only for keys with tickets:read; null once redacted by retention."""

    buyer_alias: str | None
    subject: str | None


class TicketSummary(Model):
    """One row of the ticket list (no message text)."""

    id: uuid.UUID
    seller_id: str
    marketplace_id: str | None
    order_id: str | None
    status: str
    priority: str = Field(description="Effective priority: the override when set, else the automatic one.")
    priority_auto: str
    priority_override: str | None
    category: str
    tags: list[TagOut]
    confidence: float | None
    language: str | None
    asin: str | None
    sku: str | None
    assignee: str | None
    no_response_needed: bool
    due_at: datetime | None
    sla_state: SlaState
    sla_alerted: str | None
    a_to_z: bool = Field(description="An A-to-z Guarantee claim (the classifier's 72 h claim clock runs).")
    ageing: bool
    first_response_at: datetime | None
    last_buyer_message_at: datetime | None
    message_count: int
    abusive_score: float | None
    buyer_hash: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    pii_redacted_at: datetime | None


class TicketPage(Model):
    """A page of tickets and the cursor of the next one (null on the last page)."""

    items: list[TicketSummary]
    next_cursor: str | None


class TimelineEntry(Model):
    """One thing that happened to the ticket, and who did it."""

    id: int
    kind: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    event_id: uuid.UUID | None
    data: dict[str, Any]
    pii: dict[str, Any] | None = Field(
        default=None, description="Message text and subject (tickets:read only; null when redacted)."
    )


class ReplyOut(Model):
    """A reply in the outbox with its outcome and lint result."""

    id: uuid.UUID
    status: str
    channel: str
    action: str | None
    template_id: str | None
    template_version: str | None
    language: str | None
    fallback: str | None
    lint: list[dict[str, Any]]
    attempts: int
    last_error: str | None
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    subject: str | None = Field(default=None, description="tickets:read only.")
    body: str | None = Field(default=None, description="tickets:read only.")


class OrderContextOut(Model):
    """The latest order and shipment state known for the ticket's order."""

    order_id: str
    marketplace_id: str | None
    order_status: str | None
    fulfillment_type: str | None
    purchase_date: datetime | None
    earliest_delivery_date: datetime | None
    latest_delivery_date: datetime | None
    latest_ship_date: datetime | None
    tracking_milestone: str | None
    carrier: str | None
    order_amount: Decimal | None
    currency: str | None
    last_event_at: datetime


class Classification(Model):
    """The latest verdict of the classifier and its reasons."""

    category: str
    confidence: float | None
    language: str | None
    model_version: str | None
    abusive_score: float | None
    reasons: list[dict[str, Any]]


class TicketDetail(TicketSummary):
    """A ticket with its classification, timeline, replies and order context."""

    classification: Classification
    pii: TicketPii | None = Field(description="Null unless the key has tickets:read.")
    order: OrderContextOut | None
    timeline: list[TimelineEntry]
    replies: list[ReplyOut]


class TicketPatch(Model):
    """Fields to change; omitted fields stay, explicit nulls clear assignee and priority override."""

    status: Status | None = None
    assignee: Line | None = None
    priority_override: PriorityCode | None = None
    tags: list[Code] | None = Field(default=None, max_length=50, description="The full new set of tags.")
    no_response_needed: bool | None = None
