"""When a shipment has stalled (pure): no new milestone for N days, or past its latest delivery date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from services.responder.shipments.repository import ShipmentFacts

__all__ = ["StalledRule", "proactive_facts", "stalled_reason"]

StalledReason = Literal["no_movement", "past_latest_delivery"]


@dataclass(frozen=True, slots=True)
class StalledRule:
    """Days without movement after which tracking counts as stalled, by carrier and marketplace."""

    default_days: float = 4.0
    by: Mapping[str, float] | None = None  # 'CARRIER|MARKETPLACE', 'CARRIER' or 'MARKETPLACE' -> days

    def days(self, *, carrier: str | None, marketplace_id: str | None) -> float:
        """The most specific setting: carrier and marketplace, then carrier, then marketplace."""
        by = {k.upper(): v for k, v in (self.by or {}).items()}
        c, m = (carrier or "").upper(), (marketplace_id or "").upper()
        for key in (f"{c}|{m}", c, m):
            if key and key != "|" and key in by:
                return by[key]
        return self.default_days

    def shortest(self) -> float:
        """The smallest threshold of any carrier (the database query's bound)."""
        return min([self.default_days, *(self.by or {}).values()])


def stalled_reason(facts: ShipmentFacts, *, rule: StalledRule, now: datetime) -> StalledReason | None:
    """Why the shipment counts as stalled now, or None."""
    days = rule.days(carrier=facts.carrier, marketplace_id=facts.marketplace_id)
    if facts.last_milestone_at is not None and facts.last_milestone_at <= now - timedelta(days=days):
        return "no_movement"
    if facts.latest_delivery_date is not None and facts.latest_delivery_date < now:
        return "past_latest_delivery"
    return None


def proactive_facts(facts: ShipmentFacts, *, reason: str, now: datetime) -> dict[str, Any]:
    """What the proactive ticket's timeline records: the carrier facts and why it opened."""
    last_at, due = facts.last_milestone_at, facts.latest_delivery_date
    return {
        "reason": reason,
        "carrier": facts.carrier,
        "tracking_number": facts.tracking_number,
        "last_milestone": facts.last_milestone,
        "last_milestone_at": last_at.isoformat() if last_at else None,
        "latest_delivery_date": due.isoformat() if due else None,
        "days_without_movement": round((now - last_at).total_seconds() / 86400, 1) if last_at else None,
    }
