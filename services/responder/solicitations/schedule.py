"""When to ask for a review: Amazon's window and the configured day inside it (pure, no I/O).

Window (developer-docs.amazon.com/sp-api/docs/set-up-the-solicitations-api, step 3): from 5 days after
``EarliestDeliveryDate`` to 30 days after ``LatestDeliveryDate``. The decision depends on the order's status
and delivery dates only: never on anything the buyer said or did (Amazon forbids selective asking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "CANCELLED",
    "CLOSES_AFTER",
    "OPENS_AFTER",
    "SOLICITATION_ACTION",
    "Decision",
    "Window",
    "decide",
    "idempotency_key",
    "window_of",
]

SOLICITATION_ACTION = "productReviewAndSellerFeedback"
OPENS_AFTER = timedelta(days=5)
CLOSES_AFTER = timedelta(days=30)
CANCELLED = "cancelled"
_CANCELLED_STATUSES = frozenset({"canceled", "cancelled"})


@dataclass(frozen=True, slots=True)
class Window:
    """Amazon's solicitation window, both ends included."""

    opens: datetime
    closes: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """``schedule`` at ``not_before`` (never after ``expires_at``), ``skip`` for ``reason``, or ``wait``."""

    action: Literal["schedule", "skip", "wait"]
    reason: str | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None


def idempotency_key(seller_id: str, order_id: str) -> str:
    """The outbox key of an order's solicitation: one per order, ever."""
    return f"solicitation:{seller_id}:{order_id}"


def window_of(earliest: datetime | None, latest: datetime | None) -> Window | None:
    """The window from the delivery dates (one date stands for both); None without any."""
    first = earliest or latest
    last = latest or earliest
    if first is None or last is None:
        return None
    return Window(opens=first + OPENS_AFTER, closes=max(first + OPENS_AFTER, last + CLOSES_AFTER))


def decide(
    *,
    order_status: str | None,
    marketplace_id: str | None,
    earliest_delivery: datetime | None,
    latest_delivery: datetime | None,
    now: datetime,
    day: int,
) -> Decision:
    """What to do with an order's solicitation: due ``day`` days after the earliest delivery, clamped into
    the window; an order learnt about after the window closed is skipped as outside it."""
    if (order_status or "").lower() in _CANCELLED_STATUSES:
        return Decision("skip", reason=CANCELLED)
    window = window_of(earliest_delivery, latest_delivery)
    if window is None or marketplace_id is None:
        return Decision("wait")
    if now > window.closes:
        return Decision("skip", reason="outside_window", expires_at=window.closes)
    base = earliest_delivery or latest_delivery
    assert base is not None  # window_of had a date
    due = min(max(base + timedelta(days=day), window.opens), window.closes)
    return Decision("schedule", not_before=due, expires_at=window.closes)
