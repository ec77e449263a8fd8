"""The evidence pack of an A-to-z claim (or of a return tagged abusive, for a SAFE-T claim)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from services.responder.api.schemas.common import Model
from services.responder.api.schemas.tickets import OrderContextOut, ReplyOut, TimelineEntry

__all__ = [
    "ClaimDeadline",
    "EvidenceMessage",
    "EvidencePack",
    "MilestoneOut",
    "ProductOut",
    "ReplyOutcome",
    "ReturnFact",
    "ShipmentProof",
]


class ClaimDeadline(Model):
    """Amazon's clock: the seller answers an A-to-z claim within 72 hours of the claim notice."""

    claim_received_at: datetime
    respond_by: datetime
    hours_left: float = Field(description="Negative once the deadline has passed.")
    overdue: bool
    ticket_due_at: datetime | None


class MilestoneOut(Model):
    """One carrier milestone as the tracking notification reported it."""

    code: str
    occurred_at: datetime
    description: str | None
    carrier: str | None
    tracking_number: str | None


class ShipmentProof(Model):
    """What the carrier said: who carried it, its tracking number, every milestone, and the delivery."""

    carrier: str | None
    tracking_number: str | None
    latest_milestone: str | None
    delivered_at: datetime | None
    earliest_delivery_date: datetime | None
    latest_delivery_date: datetime | None
    delivered_on_time: bool | None = Field(
        description="Delivered by the latest delivery date (null: unknown)."
    )
    milestones: list[MilestoneOut]


class EvidenceMessage(Model):
    """One message or notice of the thread, oldest first (text and subject: tickets:read only)."""

    occurred_at: datetime
    kind: str
    source: str | None
    notice_type: str | None
    subject: str | None
    text: str | None
    attachments: list[str]


class ReplyOutcome(Model):
    """A reply of the seller and what became of it (the outbox state and its timeline of outcomes)."""

    reply: ReplyOut
    outcomes: list[TimelineEntry]


class ProductOut(Model):
    """The product the ticket is about."""

    asin: str | None
    sku: str | None


class ReturnFact(Model):
    """A return, refund, cancellation or claim notice of the order."""

    occurred_at: datetime
    kind: str
    return_reason: str | None
    notice_type: str | None


class EvidencePack(Model):
    """Everything the seller needs to answer the claim, assembled from the ticket when read."""

    kind: Literal["a_to_z", "safe_t"] = Field(
        description="a_to_z: an A-to-z Guarantee claim; safe_t: a return tagged abusive_returner."
    )
    ticket_id: uuid.UUID
    seller_id: str
    marketplace_id: str | None
    order_id: str | None
    status: str
    category: str
    generated_at: datetime
    deadline: ClaimDeadline | None = Field(description="A-to-z claims only.")
    order: OrderContextOut | None
    shipment: ShipmentProof
    product: ProductOut
    returns: list[ReturnFact]
    refunded: bool = Field(description="A refund notice was received for the order.")
    messages: list[EvidenceMessage]
    replies: list[ReplyOutcome]
    timeline: list[TimelineEntry]
