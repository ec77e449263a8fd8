"""Builders for responder tests: classified complaints and a responder wired to the real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    Priority,
    Reason,
    SignalKind,
    SignalSource,
    Tag,
    event_id_for,
)

__all__ = ["classified"]


def classified(
    *,
    order_id: str = "123-1234567-1234567",
    text: str = "My package never arrived.",
    category: Literal["not_received", "not_as_described", "defective", "none"] = "not_received",
    kind: SignalKind = SignalKind.BUYER_MESSAGE,
    seller_id: str = "A2SELLER",
    alias: str | None = None,
    priority: Priority = Priority.P2,
    auto_reply: bool = True,
    dedup: str | None = None,
    language: str = "en",
    marketplace_id: str = "ATVPDKIKX0DER",
) -> ComplaintClassified:
    """A ComplaintClassified as the classifier would emit it."""
    dedup_key = dedup or f"email:<{uuid.uuid4().hex}@relay>"
    buyer = alias or f"{uuid.uuid4().hex[:15]}@marketplace.amazon.com"
    now = datetime.now(UTC)
    signal = ComplaintSignalReceived(
        event_id=event_id_for(dedup_key),
        occurred_at=now,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        order_id=order_id,
        dedup_key=dedup_key,
        correlation_id=dedup_key,
        source=SignalSource.EMAIL,
        kind=kind,
        text=text,
        subject=f"Order delivery inquiry from Amazon customer Jane (Order: {order_id})",
        language_hint=language,
        buyer_alias=buyer,
        buyer_name="Jane",
        reply_to=buyer,
        message_id=dedup_key.removeprefix("email:"),
    )
    key = f"classified:{dedup_key}"
    return ComplaintClassified(
        event_id=event_id_for(key),
        occurred_at=now,
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        order_id=order_id,
        dedup_key=key,
        correlation_id=dedup_key,
        source=SignalSource.EMAIL,
        signal=signal,
        category=category,
        tags=(Tag(name=category, confidence=0.9),) if category != "none" else (),
        confidence=0.9,
        language=language,
        priority=priority,
        due_at=now + timedelta(hours=24),
        reasons=(Reason(rule_id="text.model", detail="test"),),
        model_version="test",
        buyer_hash=uuid.uuid4().hex,
        auto_reply=auto_reply,
    )
