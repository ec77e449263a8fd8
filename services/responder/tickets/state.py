"""A ticket as the consumer changes it: plain values, no ORM identity map or unit of work.

The consumer locks its tickets (``SELECT ... FOR UPDATE``), changes them in memory and writes them back with
one statement per Kafka batch (``repository.save_tickets``). ORM objects cost it about a sixth of its CPU
(attribute instrumentation, the flush's change tracking, one UPDATE compiled per ticket; issue 14's profile).
Only the columns the consumer reads or writes are here; the others (assignee, overrides, first response,
redaction) are neither loaded nor written, so what an agent set stays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

__all__ = ["COLUMNS", "WRITTEN", "TicketState"]


@dataclass(slots=True)
class TicketState:
    """The consumer's columns of one ticket; ``new`` until it is written the first time."""

    id: uuid.UUID
    seller_id: str
    marketplace_id: str | None
    order_id: str | None
    thread_key: str
    buyer_hash: str | None
    status: str
    priority: str
    category: str
    tags: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    message_count: int
    version: int
    no_response_needed: bool
    ageing: bool
    confidence: float | None = None
    language: str | None = None
    model_version: str | None = None
    abusive_score: float | None = None
    asin: str | None = None
    sku: str | None = None
    due_at: datetime | None = None
    last_buyer_message_at: datetime | None = None
    sla_alerted: str | None = None
    last_message_id: str | None = None
    buyer_alias_enc: bytes | None = None
    subject_enc: bytes | None = None
    priority_override: str | None = None  # an agent's: read for the webhook payload, never written here
    new: bool = False

    def values(self) -> dict[str, Any]:
        """Column -> value of the written columns (``id`` included)."""
        return {name: getattr(self, name) for name in WRITTEN}


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TicketState) if f.name != "new")
"""The ``tickets`` columns the consumer reads, ``id`` first."""

WRITTEN: tuple[str, ...] = tuple(name for name in COLUMNS if name != "priority_override")
"""The columns it writes: an agent's priority override belongs to the API and the console."""
