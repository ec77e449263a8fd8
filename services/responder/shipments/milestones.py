"""Carrier milestones of an order from its tracking notification (pure): the latest one and the history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.cleaning import clean_line
from shared.events import OrderContextUpdated

__all__ = ["DELIVERED", "Milestone", "milestones_of"]

DELIVERED = "DELIVERED"
_MAX_HISTORY = 200  # a notification's history longer than this is someone else's problem, not ours


@dataclass(frozen=True, slots=True)
class Milestone:
    """One tracking milestone: code, when, and the carrier facts the notification carried."""

    code: str
    occurred_at: datetime
    carrier: str | None
    tracking_number: str | None
    description: str | None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    code = clean_line(value).strip().upper()[:64]
    return code or None


def milestones_of(event: OrderContextUpdated) -> list[Milestone]:
    """The latest milestone and the notification's history; entries without a code or a valid time are left
    out (the order context still keeps the latest code)."""
    details: Mapping[str, Any] = event.details
    description = details.get("description")
    desc = clean_line(description)[:256] if isinstance(description, str) else None
    found: dict[tuple[str, datetime], Milestone] = {}
    latest = _code(event.tracking_milestone)
    latest_at = _when(details.get("occurredAt"))
    if latest is not None and latest_at is not None:
        found[(latest, latest_at)] = Milestone(latest, latest_at, event.carrier, event.tracking_number, desc)
    history = details.get("milestoneHistory")
    for item in history[:_MAX_HISTORY] if isinstance(history, list) else []:
        if not isinstance(item, Mapping):
            continue
        code, at = _code(item.get("code")), _when(item.get("occurredAt"))
        if code is None or at is None or (code, at) in found:
            continue
        found[(code, at)] = Milestone(code, at, event.carrier, event.tracking_number, None)
    return sorted(found.values(), key=lambda m: m.occurred_at)
