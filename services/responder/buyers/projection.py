"""Which buyer-history row a classified complaint adds (pure: no I/O)."""

from __future__ import annotations

from typing import Any

from shared.events import ComplaintClassified

__all__ = ["buyer_event_values"]


def buyer_event_values(event: ComplaintClassified) -> dict[str, Any] | None:
    """The row for the responder's buyer history, or None when the event adds nothing to it.

    The classifier decides what counts (``buyer_activity``); the row is keyed by the signal's event id, the
    same key the classifier's own history uses, so both histories hold the same facts.
    """
    activity = event.buyer_activity
    if activity is None or event.buyer_hash is None:
        return None
    signal = event.signal
    return {
        "event_id": signal.event_id,
        "buyer_hash": event.buyer_hash,
        "seller_id": signal.seller_id,
        "order_id": signal.order_id,
        "kind": activity.kind,
        "reason": activity.reason,
        "long_use": activity.long_use,
        "occurred_at": signal.occurred_at,
    }
