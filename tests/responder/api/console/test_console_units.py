"""The console's pure parts: SLA countdowns, marked spans, messages, session cookies, queue views."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.responder.api.console import session as cookies
from services.responder.api.console.charts import stacked_bars
from services.responder.api.console.presence import Presence
from services.responder.api.console.queue import queue_view
from services.responder.api.console.views import Segment, countdown, messages_of, segments
from services.responder.api.errors import ApiError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = cookies.session_secret("pepper")


@pytest.mark.parametrize(
    ("due", "status", "text", "state"),
    [
        (NOW + timedelta(hours=4, minutes=12), "new", "4 h 12 m left", "ok"),
        (NOW + timedelta(minutes=59), "new", "59 m left", "soon"),
        (NOW + timedelta(hours=50), "awaiting_reply", "2 d 2 h left", "ok"),
        (NOW - timedelta(hours=2, minutes=1), "escalated", "overdue + 2 h 1 m", "overdue"),
        (NOW - timedelta(hours=2), "replied", "—", "none"),
        (None, "new", "—", "none"),
    ],
)
def test_countdown(due: datetime | None, status: str, text: str, state: str) -> None:
    c = countdown(due_at=due, status=status, now=NOW)
    assert (c.text, c.state) == (text, state)


def test_segments_mark_spans_and_drop_overlaps_and_out_of_range() -> None:
    parts = segments("abcdefgh", [(2, 4, "x"), (3, 6, "y"), (7, 99, "z")])
    assert parts == [Segment("ab"), Segment("cd", True, "x"), Segment("ef", True, "y"), Segment("gh")]
    assert segments("", []) == [Segment("")]


def test_messages_take_the_offsets_of_the_classification_that_followed_them() -> None:
    timeline: list[dict[str, Any]] = [
        {"kind": "signal", "occurred_at": "t1", "pii": {"text": "it never came", "subject": "s"}},
        {"kind": "classification", "data": {"reasons": [{"rule_id": "f", "start": 3, "end": 8}]}},
        {"kind": "signal", "occurred_at": "t2", "pii": {"text": "still nothing"}},
        {"kind": "signal", "occurred_at": "t3", "pii": None},
    ]
    first, second = messages_of(timeline)
    assert [p.text for p in first.parts if p.marked] == ["never"]
    assert (second.highlighted, second.subject) == (0, None)


def test_session_cookie_round_trip_tamper_and_expiry() -> None:
    key_id = uuid.uuid4()
    value, token = cookies.issue(key_id=key_id, now=NOW, secret=SECRET)
    opened = cookies.open_cookie(value, now=NOW, secret=SECRET)
    assert opened == token
    assert opened.key_id == key_id
    payload, signature = value.split(".")
    assert cookies.open_cookie(f"{payload}x.{signature}", now=NOW, secret=SECRET) is None
    assert cookies.open_cookie(value, now=NOW, secret=cookies.session_secret("other")) is None
    assert cookies.open_cookie(value, now=NOW + cookies.LIFETIME, secret=SECRET) is None
    assert cookies.open_cookie("garbage", now=NOW, secret=SECRET) is None


def test_csrf_token_is_per_session() -> None:
    _, one = cookies.issue(key_id=uuid.uuid4(), now=NOW, secret=SECRET)
    _, two = cookies.issue(key_id=one.key_id, now=NOW, secret=SECRET)
    assert cookies.csrf_matches(one, one.csrf(SECRET), secret=SECRET)
    assert not cookies.csrf_matches(one, two.csrf(SECRET), secret=SECRET)
    assert not cookies.csrf_matches(one, None, secret=SECRET)


def test_queue_views_and_filters() -> None:
    mine = queue_view({"view": "mine", "category": "defective", "cursor": "c1"}, actor="ana")
    assert (mine.query.assignee, mine.query.category, mine.query.sort, mine.query.order) == (
        "ana",
        ["defective"],
        "due_at",
        "asc",
    )
    assert mine.url("/q", "c2") == "/q?view=mine&category=defective&cursor=c2"
    assert queue_view({"view": "unassigned"}, actor="ana").query.unassigned
    assert queue_view({"view": "escalated"}, actor="ana").query.status == ["escalated"]
    assert queue_view({"view": "bogus"}, actor="ana").params == {"view": "all"}
    with pytest.raises(ApiError):
        queue_view({"priority": "P9"}, actor="ana")


def test_stacked_bars_scale_to_the_busiest_bucket_and_stack_by_key() -> None:
    week1, week2 = NOW - timedelta(days=14), NOW - timedelta(days=7)
    chart = stacked_bars([(week1, "a", 2), (week1, "b", 2), (week2, "a", 1), (week2, None, 1)], height=124)
    assert chart.peak == 4
    assert [k for k, _ in chart.legend] == ["a", "b", "unknown"]
    first = [b for b in chart.bars if b.title.startswith(f"{week1:%Y-%m-%d}")]
    assert [b.height for b in first] == [50.0, 50.0]  # 100 units of plot for 4 tickets
    assert first[1].y == 0.0  # the busiest bucket reaches the top
    assert stacked_bars([]).bars == []


def test_presence_names_the_others_until_they_go_quiet() -> None:
    seen, ticket = Presence(ttl=timedelta(seconds=15)), uuid.uuid4()
    assert seen.visit(ticket, "ana", NOW) == []
    assert seen.visit(ticket, "bo", NOW + timedelta(seconds=5)) == ["ana"]
    assert seen.visit(ticket, "bo", NOW + timedelta(seconds=30)) == []
    assert seen.visit(uuid.uuid4(), "ana", NOW) == []


def test_a_spoofed_cookie_or_csrf_header_with_non_ascii_or_nul_is_refused_not_raised() -> None:
    # hmac.compare_digest raises TypeError on str with non-ASCII characters: a forged header was a 500.
    value, token = cookies.issue(key_id=uuid.uuid4(), now=NOW, secret=SECRET)
    payload, _ = value.split(".")
    for signature in ("é" * 64, "\x00" * 64, "\udcff", "\ud800"):
        assert cookies.open_cookie(f"{payload}.{signature}", now=NOW, secret=SECRET) is None
        assert cookies.open_cookie(f"{signature}.{signature}", now=NOW, secret=SECRET) is None
        assert not cookies.csrf_matches(token, signature, secret=SECRET)
