"""Webhook payloads and their deterministic ids (pure): no buyer PII, only ticket and reply facts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.responder.settings import WebhookSubscription
from shared.events import event_id_for

__all__ = ["WebhookEvent", "delivery_rows", "reply_sent", "ticket_changed"]


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event: the same id and body for every subscription and every attempt."""

    event_id: uuid.UUID
    event_type: str
    seller_id: str
    body: str
    at: datetime  # when it happened by the caller's clock: due from then


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event(event_type: str, key: str, *, seller_id: str, now: datetime, data: dict[str, Any]) -> WebhookEvent:
    event_id = event_id_for(f"webhook:{event_type}:{key}")
    body: dict[str, Any] = {
        "id": str(event_id),
        "type": event_type,
        "created_at": now.isoformat(),
        "seller_id": seller_id,
        "data": data,
    }
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return WebhookEvent(event_id, event_type, seller_id, text, now)


class TicketFacts(Protocol):
    """What a ticket event tells: the ORM ticket (API, console) and the consumer's ``TicketState`` both have it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def seller_id(self) -> str: ...
    @property
    def marketplace_id(self) -> str | None: ...
    @property
    def order_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def priority_override(self) -> str | None: ...
    @property
    def category(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def version(self) -> int: ...


def ticket_changed(
    ticket: TicketFacts, *, created: bool, cause: uuid.UUID | str, now: datetime
) -> WebhookEvent:
    """``ticket.created`` (once per ticket) or ``ticket.updated`` (once per ticket and cause: the buyer signal's
    event id, or ``v<version>`` for a change made through the API)."""
    data = {
        "ticket": {
            "id": str(ticket.id),
            "seller_id": ticket.seller_id,
            "marketplace_id": ticket.marketplace_id,
            "order_id": ticket.order_id,
            "status": ticket.status,
            "priority": ticket.priority_override or ticket.priority,
            "category": ticket.category,
            "language": ticket.language,
            "due_at": _iso(ticket.due_at),
            "version": ticket.version,
        }
    }
    if created:
        return _event("ticket.created", str(ticket.id), seller_id=ticket.seller_id, now=now, data=data)
    return _event("ticket.updated", f"{ticket.id}:{cause}", seller_id=ticket.seller_id, now=now, data=data)


def reply_sent(
    *,
    outbox_id: uuid.UUID,
    ticket_id: uuid.UUID,
    seller_id: str,
    order_id: str | None,
    channel: str,
    created_by: str,
    now: datetime,
) -> WebhookEvent:
    """``reply.sent``: once per reply, when the sender recorded it sent."""
    data = {
        "reply": {
            "id": str(outbox_id),
            "ticket_id": str(ticket_id),
            "order_id": order_id,
            "channel": channel,
            "created_by": created_by,
            "sent_at": now.isoformat(),
        }
    }
    return _event("reply.sent", str(outbox_id), seller_id=seller_id, now=now, data=data)


def delivery_rows(
    events: Iterable[WebhookEvent], subscriptions: Sequence[WebhookSubscription]
) -> list[dict[str, Any]]:
    """``webhook_deliveries`` values: each event for each subscription that wants it."""
    return [
        {
            "subscription": sub.name,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "seller_id": event.seller_id,
            "body": event.body,
            "not_before": event.at,
        }
        for event in events
        for sub in subscriptions
        if sub.wants(event.event_type, event.seller_id)
    ]
