"""Pure parts of the API: token buckets, cursors, If-Match, SLA states, webhook signatures, key hashing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.responder.api.changes import PreconditionError, matches_if_match
from services.responder.api.config import ApiSettings
from services.responder.api.cursor import Cursor, CursorError, decode_cursor, encode_cursor
from services.responder.api.ratelimit import TokenBuckets
from services.responder.api.security import generate_key, hash_key, key_prefix, keys_match
from services.responder.tickets.sla import sla_state
from services.responder.workers.webhook import sign, verify
from tests.responder.api.helpers import T0


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2.0, burst=2, clock=clock)
    assert [buckets.take("k"), buckets.take("k")] == [0.0, 0.0]
    assert buckets.take("k") == pytest.approx(0.5)
    assert buckets.take("other") == 0.0
    clock.t += 0.5
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0
    assert TokenBuckets.retry_after(0.2) == "1"
    assert TokenBuckets.retry_after(2.1) == "3"


def test_cursor_round_trip_and_rejections() -> None:
    c = Cursor("due_at", True, T0, uuid.uuid4())
    assert decode_cursor(encode_cursor(c), sort="due_at", descending=True) == c
    null = Cursor("due_at", False, None, uuid.uuid4())
    assert decode_cursor(encode_cursor(null), sort="due_at", descending=False) == null
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor(c), sort="due_at", descending=False)
    naive = encode_cursor(Cursor("created_at", True, "2026-01-01T00:00:00", uuid.uuid4()))
    ancient = encode_cursor(Cursor("created_at", True, "0001-01-01T00:00:00+14:00", uuid.uuid4()))
    for token in ("%%%", "bnVsbA", naive, ancient):
        with pytest.raises(CursorError):
            decode_cursor(token, sort="created_at", descending=True)


def test_if_match() -> None:
    assert matches_if_match('"3"', 3)
    assert matches_if_match('W/"3"', 3)
    assert matches_if_match('"2", "3"', 3)
    assert not matches_if_match('"2"', 3)
    for bad in (None, "", "*", "3", '"abc"'):
        with pytest.raises(PreconditionError):
            matches_if_match(bad, 3)


def test_sla_state() -> None:
    w = timedelta(hours=4)
    assert sla_state(status="new", due_at=None, now=T0, window=w) == "none"
    assert sla_state(status="new", due_at=T0 - timedelta(seconds=1), now=T0, window=w) == "breached"
    assert sla_state(status="escalated", due_at=T0 + timedelta(hours=3), now=T0, window=w) == "due_soon"
    assert sla_state(status="new", due_at=T0 + timedelta(hours=5), now=T0, window=w) == "ok"
    assert sla_state(status="replied", due_at=T0 - timedelta(hours=1), now=T0, window=w) == "answered"


def test_webhook_signature_rejects_stale_and_tampered() -> None:
    sig = sign("s", 1000, b"{}")
    assert verify("s", 1000, b"{}", sig, now=1100, tolerance_s=300)
    assert not verify("s", 1000, b"{}", sig, now=1400, tolerance_s=300)
    assert not verify("s", 1000, b"{ }", sig, now=1000, tolerance_s=300)


def test_keys_are_peppered_hashes() -> None:
    key, prefix = generate_key()
    assert key_prefix(key) == prefix
    assert key_prefix(key + "!") is None
    assert keys_match(key, hash_key(key, pepper="p"), pepper="p")
    assert not keys_match(key, hash_key(key, pepper="p"), pepper="q")


def test_a_webhook_url_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="SECRET"):
        ApiSettings(sla_webhook_url="http://127.0.0.1:9/hook")


def test_a_webhook_signature_with_non_ascii_is_refused_not_raised() -> None:
    good = sign("secret", 1_000, b"{}")
    assert verify("secret", 1_000, b"{}", good, now=1_000.0, tolerance_s=300)
    assert not verify("secret", 1_000, b"{}", "v1=" + "é" * 64, now=1_000.0, tolerance_s=300)
