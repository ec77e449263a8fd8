"""SLA state of a ticket (pure): which statuses still owe the buyer a reply, and how late they are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from services.responder.tickets.status import AWAITING_SELLER

__all__ = ["A_TO_Z_RULE", "SlaState", "a_to_z", "awaiting_seller", "sla_state"]

SlaState = Literal["none", "ok", "due_soon", "breached", "answered"]

# The classifier's priority reason on an A-to-z Guarantee claim (its clock is the 72 h claim window;
# "sla.a_to_z" alone also marks a chargeback, so the claim is told by this one).
A_TO_Z_RULE = "priority.a_to_z_claim"


def a_to_z(reasons: Iterable[Mapping[str, Any]] | None) -> bool:
    """True when the ticket's reasons say it is an A-to-z claim."""
    return any(r.get("rule_id") == A_TO_Z_RULE for r in reasons or ())


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
