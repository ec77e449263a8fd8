"""Timeline entries of a ticket, built in one place (what each kind of entry records)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.crypto import PiiCipher
from shared.events import ComplaintClassified, ComplaintSignalReceived, OrderContextUpdated, SlaAlertRaised

__all__ = [
    "Entry",
    "alias_entry",
    "classification_entry",
    "context_entry",
    "deferred_entry",
    "field_entry",
    "outcome_entry",
    "reply_entry",
    "signal_entry",
    "sla_alert_entry",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeline row before it has a ticket: kind, when, what (and its encrypted PII)."""

    kind: str
    occurred_at: datetime
    data: dict[str, Any]
    event_id: uuid.UUID | None = None
    actor: str = "system"
    pii_enc: bytes | None = None


def signal_entry(event: ComplaintClassified, *, cipher: PiiCipher) -> Entry:
    """The buyer's signal; its text and subject are encrypted."""
    s = event.signal
    data = {
        "kind": s.kind.value,
        "source": s.source.value,
        "notice_type": s.notice_type,
        "asin": s.asin,
        "sku": s.sku,
        "return_reason": s.return_reason,
        "a_to_z_claim": s.a_to_z_claim,
        "message_id": s.message_id,
        "attachments": list(s.attachments),
    }
    pii = cipher.encrypt_json({"text": s.text, "subject": s.subject})
    return Entry("signal", s.occurred_at, data, event_id=s.event_id, pii_enc=pii)


def classification_entry(event: ComplaintClassified, *, reasons: list[dict[str, Any]] | None = None) -> Entry:
    """What the classifier said about the signal (``reasons``: the event's, dumped already)."""
    data = {
        "category": event.category,
        "tags": [t.model_dump() for t in event.tags],
        "confidence": event.confidence,
        "priority": event.priority.value,
        "due_at": event.due_at.isoformat() if event.due_at else None,
        "reasons": reasons if reasons is not None else [r.model_dump() for r in event.reasons],
        "model_version": event.model_version,
        "auto_reply": event.auto_reply,
        "abusive_score": event.abusive_score,
    }
    return Entry("classification", event.signal.occurred_at, data, event_id=event.event_id)


def context_entry(event: OrderContextUpdated) -> Entry:
    """An order notification about the ticket's order."""
    delivery = event.latest_delivery_date
    data = {
        "notification_type": event.notification_type,
        "order_status": event.order_status,
        "tracking_milestone": event.tracking_milestone,
        "latest_delivery_date": delivery.isoformat() if delivery else None,
    }
    return Entry("context", event.occurred_at, data, event_id=event.event_id)


def alias_entry(
    kind: str, data: dict[str, Any], *, signal: ComplaintSignalReceived, cipher: PiiCipher
) -> Entry:
    """A buyer alias this message could not set (the address itself encrypted)."""
    pii = cipher.encrypt_json({"alias": signal.reply_to})
    return Entry(
        kind,
        signal.occurred_at,
        {**data, "message_id": signal.message_id},
        event_id=signal.event_id,
        pii_enc=pii,
    )


def reply_entry(
    *,
    kind: str,
    outbox_id: uuid.UUID,
    status: str,
    channel: str,
    action: str | None,
    template_id: str | None,
    template_version: str | None,
    language: str | None,
    fallback: str | None,
    lint: Sequence[object],
    now: datetime,
    actor: str = "system",
    decision: Sequence[str] | None = None,
) -> Entry:
    """A reply queued (or kept as blocked); automatic replies also record the policy's decision."""
    data: dict[str, Any] = {
        "outbox_id": str(outbox_id),
        "status": status,
        "channel": channel,
        "action": action,
        "template_id": template_id,
        "template_version": template_version,
        "language": language,
        "fallback": fallback,
        "lint": list(lint),
    }
    if decision is not None:
        data["decision"] = list(decision)
    return Entry(kind, now, data, actor=actor)


def outcome_entry(
    *, outbox_id: uuid.UUID, channel: str, outcome: str, error: str | None, actor: str, now: datetime
) -> Entry:
    """What sending a reply came to (``reply_sent``, ``reply_unknown``, ``reply_failed``, ...)."""
    data = {"outbox_id": str(outbox_id), "channel": channel, "error": error}
    return Entry("reply_" + outcome, now, data, actor=actor)


def deferred_entry(*, outbox_id: uuid.UUID, not_before: datetime, now: datetime) -> Entry:
    """A reply held back to the next budget day."""
    data = {"outbox_id": str(outbox_id), "reason": "daily_send_budget", "not_before": not_before.isoformat()}
    return Entry("reply_deferred", now, data)


def field_entry(*, kind: str, field: str, old: object, new: object, actor: str, now: datetime) -> Entry:
    """A field a human changed."""
    return Entry(kind, now, {"field": field, "from": old, "to": new}, actor=actor)


def sla_alert_entry(alert: SlaAlertRaised, *, now: datetime) -> Entry:
    """An SLA alert raised for the ticket."""
    data = {"state": alert.state, "due_at": alert.due_at.isoformat(), "priority": alert.priority.value}
    return Entry("sla_alert", now, data, event_id=alert.event_id)
