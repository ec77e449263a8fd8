"""A complaint signal as ingest would emit it from a relayed e-mail (bench, tests, tools)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for

__all__ = ["complaint_signal"]


def complaint_signal(
    *,
    seller_id: str,
    order_id: str | None,
    text: str,
    buyer_alias: str | None = None,
    dedup_key: str | None = None,
    kind: SignalKind = SignalKind.BUYER_MESSAGE,
    occurred_at: datetime | None = None,
    marketplace_id: str | None = "ATVPDKIKX0DER",
    **fields: Any,
) -> ComplaintSignalReceived:
    """One signal with a deterministic event id from its dedup key (random key when none is given)."""
    dedup = dedup_key or f"test:{uuid.uuid4().hex}"
    return ComplaintSignalReceived(
        event_id=event_id_for(dedup),
        occurred_at=occurred_at or datetime.now(UTC),
        seller_id=seller_id,
        marketplace_id=marketplace_id,
        order_id=order_id,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.EMAIL,
        kind=kind,
        text=text,
        buyer_alias=buyer_alias,
        **fields,
    )
