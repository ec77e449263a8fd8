"""SLA state of a ticket (pure): which statuses still owe the buyer a reply, and how late they are."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from services.responder.tickets.status import AWAITING_SELLER

__all__ = ["SlaState", "awaiting_seller", "sla_state"]

SlaState = Literal["none", "ok", "due_soon", "breached", "answered"]


def awaiting_seller(status: str) -> bool:
    """True while the reply clock runs (a 'no response needed' ticket has its own status)."""
    return status in AWAITING_SELLER


def sla_state(*, status: str, due_at: datetime | None, now: datetime, window: timedelta) -> SlaState:
    """none (no deadline), answered, breached, due_soon (inside ``window``) or ok."""
    if due_at is None:
        return "none"
    if not awaiting_seller(status):
        return "answered"
    if due_at <= now:
        return "breached"
    if due_at <= now + window:
        return "due_soon"
    return "ok"
