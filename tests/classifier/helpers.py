"""Builders for complaint signals in the classifier tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for

__all__ = ["NOW", "signal"]

NOW = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)


def signal(text: str = "", kind: SignalKind = SignalKind.BUYER_MESSAGE, **kw: Any) -> ComplaintSignalReceived:
    """A complaint signal with a fixed envelope; ``kw`` sets any other field."""
    key = f"test:{kind.value}:{text}:{sorted(kw.items())}"
    base: dict[str, Any] = {
        "event_id": event_id_for(key),
        "occurred_at": NOW,
        "seller_id": "A2SELLER",
        "marketplace_id": "ATVPDKIKX0DER",
        "order_id": "111-2223334-4445556",
        "dedup_key": key,
        "correlation_id": "corr-1",
        "source": SignalSource.EMAIL,
        "kind": kind,
        "text": text,
    }
    base.update(kw)
    return ComplaintSignalReceived(**base)
