"""The solicitation schedule: Amazon's window edges, the configured day clamped into it, the only skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.responder.solicitations.schedule import Decision, decide, window_of

EARLIEST = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
LATEST = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
D = timedelta(days=1)
S = timedelta(seconds=1)
OPENS = EARLIEST + 5 * D
CLOSES = LATEST + 30 * D


def _decide(
    now: datetime, *, day: int = 7, status: str | None = "Shipped", **dates: datetime | None
) -> Decision:
    return decide(
        order_status=status,
        marketplace_id="ATVPDKIKX0DER",
        earliest_delivery=dates.get("earliest", EARLIEST),
        latest_delivery=dates.get("latest", LATEST),
        now=now,
        day=day,
    )


def test_window_is_day_5_after_the_earliest_to_day_30_after_the_latest_delivery() -> None:
    window = window_of(EARLIEST, LATEST)
    assert window is not None
    assert (window.opens, window.closes) == (OPENS, CLOSES)
    only_one = window_of(None, LATEST)
    assert only_one is not None
    assert (only_one.opens, only_one.closes) == (LATEST + 5 * D, LATEST + 30 * D)
    assert window_of(None, None) is None


@pytest.mark.parametrize(
    ("now", "action"),
    [
        (OPENS - D, "schedule"),  # the day before the window: queued for later, not skipped
        (OPENS, "schedule"),  # its first day
        (CLOSES, "schedule"),  # its last moment
        (CLOSES + S, "skip"),  # learnt about after it closed
    ],
)
def test_window_edges_when_the_order_is_learnt_about(now: datetime, action: str) -> None:
    decision = _decide(now)
    assert decision.action == action
    if action == "schedule":
        assert decision.expires_at == CLOSES
    else:
        assert decision.reason == "outside_window"


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (7, EARLIEST + 7 * D),  # inside the window: as configured
        (2, OPENS),  # before the window opens: its first moment
        (60, CLOSES),  # after it closes: its last moment
    ],
)
def test_the_configured_day_is_clamped_into_the_window(day: int, due: datetime) -> None:
    decision = _decide(EARLIEST, day=day)
    assert decision.not_before == due


def test_cancelled_orders_are_skipped_and_orders_without_dates_wait() -> None:
    for status in ("Canceled", "CANCELLED"):
        assert _decide(OPENS, status=status).reason == "cancelled"
    assert _decide(OPENS, earliest=None, latest=None).action == "wait"
    no_marketplace = decide(
        order_status="Shipped",
        marketplace_id=None,
        earliest_delivery=EARLIEST,
        latest_delivery=LATEST,
        now=OPENS,
        day=7,
    )
    assert no_marketplace.action == "wait"
