"""The client's parts on their own: token bucket pacing, backoff, LWA cache lifetime, regional routing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.spapi import AuthorizationError, LwaClient, RateLimit, RateLimiter, RetryPolicy, base_url_for
from shared.spapi.ratelimit import AsyncTokenBucket
from tests.shared.spapi.conftest import FakeClock
from tests.shared.spapi.mock_amazon import MockAmazon


class SleepRecorder:
    """A fake ``asyncio.sleep`` that advances a FakeClock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


async def test_bucket_spends_burst_minus_headroom_then_paces_at_the_rate() -> None:
    clock = FakeClock()
    sleep = SleepRecorder(clock)
    bucket = AsyncTokenBucket(RateLimit(2.0, 5), headroom=1, clock=clock, sleep=sleep)
    for _ in range(4):
        await bucket.acquire()
    assert sleep.waits == []
    await bucket.acquire()
    await bucket.acquire()
    assert sleep.waits == pytest.approx([0.5, 0.5])


async def test_bucket_serves_concurrent_waiters_one_interval_apart() -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    bucket = AsyncTokenBucket(RateLimit(1.0, 2), headroom=1, clock=clock, sleep=sleep)
    await asyncio.gather(*(bucket.acquire() for _ in range(4)))
    # Reservations: the first takes the one usable token, the others wait 1, 2 and 3 s from now.
    assert sorted(waits) == pytest.approx([1.0, 2.0, 3.0])


async def test_a_429_empties_the_bucket_and_the_header_rate_is_adopted() -> None:
    clock = FakeClock()
    sleep = SleepRecorder(clock)
    limiter = RateLimiter({"op": RateLimit(1.0, 5)}, clock=clock, sleep=sleep)
    await limiter.acquire("S1", "op")
    limiter.throttled("S1", "op")
    await limiter.acquire("S1", "op")
    assert sleep.waits == pytest.approx([1.0])
    limiter.observe_rate("S1", "op", "4.0")
    limiter.throttled("S1", "op")
    await limiter.acquire("S1", "op")
    assert sleep.waits[-1] == pytest.approx(0.25)
    limiter.observe_rate("S1", "op", "not-a-number")
    assert limiter.bucket("S1", "op").rate == 4.0
    # Other sellers are untouched.
    await limiter.acquire("S2", "op")
    assert len(sleep.waits) == 2


async def test_a_cancelled_waiter_gives_its_token_back() -> None:
    clock = FakeClock()
    bucket = AsyncTokenBucket(RateLimit(1.0, 2), headroom=1, clock=clock)
    await bucket.acquire()
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    sleep = SleepRecorder(clock)
    bucket._sleep = sleep
    await bucket.acquire()
    assert sleep.waits == pytest.approx([1.0])


def test_backoff_grows_with_jitter_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 8.0)):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert policy.delay(1, retry_after=5.0) >= 5.0
    assert policy.delay(1, retry_after=500.0) == policy.max_retry_after_s


async def test_token_is_reused_then_refreshed_ahead_of_expiry() -> None:
    amazon = MockAmazon()
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(amazon.handle)) as http:
        lwa = LwaClient(amazon.settings(), http, refresh_ahead_s=60.0, clock=clock)
        assert await lwa.access_token("S1") == "Atza|1"
        clock.advance(3539)
        assert await lwa.access_token("S1") == "Atza|1"
        clock.advance(2)
        assert await lwa.access_token("S1") == "Atza|2"
        lwa.invalidate("S1", "Atza|1")  # stale rejection: the newer token stays
        assert await lwa.access_token("S1") == "Atza|2"
        lwa.invalidate("S1", "Atza|2")
        assert await lwa.access_token("S1") == "Atza|3"
    assert lwa.exchanges == 3


async def test_short_lived_tokens_are_refreshed_at_half_life() -> None:
    amazon = MockAmazon(expires_in=20)
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(amazon.handle)) as http:
        lwa = LwaClient(amazon.settings(), http, refresh_ahead_s=60.0, clock=clock)
        assert await lwa.access_token("S1") == "Atza|1"
        clock.advance(9)
        assert await lwa.access_token("S1") == "Atza|1"
        clock.advance(2)
        assert await lwa.access_token("S1") == "Atza|2"


async def test_lwa_refusal_is_permanent_and_outage_is_retried() -> None:
    amazon = MockAmazon()
    amazon.lwa_answers.extend(
        [
            httpx.Response(500, json={}),
            httpx.ConnectError("refused"),
            httpx.Response(400, json={"error": "invalid_grant", "error_description": "bad refresh token"}),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(amazon.handle)) as http:
        lwa = LwaClient(amazon.settings(), http, backoff_s=0.001, clock=FakeClock())
        with pytest.raises(AuthorizationError) as caught:
            await lwa.access_token("S1")
    assert caught.value.amazon_code == "invalid_grant"
    assert len(amazon.lwa_requests) == 3


@pytest.mark.parametrize(
    ("configured", "marketplace", "expected"),
    [
        (
            "https://sellingpartnerapi-eu.amazon.com",
            "ATVPDKIKX0DER",
            "https://sellingpartnerapi-na.amazon.com",
        ),
        (
            "https://sellingpartnerapi-na.amazon.com/",
            "A39IBJ37TRP1C6",
            "https://sellingpartnerapi-fe.amazon.com",
        ),
        (
            "https://sandbox.sellingpartnerapi-fe.amazon.com",
            "A1F83G8C2ARO7P",
            "https://sandbox.sellingpartnerapi-eu.amazon.com",
        ),
        ("https://sellingpartnerapi-na.amazon.com", None, "https://sellingpartnerapi-na.amazon.com"),
        ("http://127.0.0.1:8000/", "A1F83G8C2ARO7P", "http://127.0.0.1:8000"),
    ],
)
def test_regional_endpoint(configured: str, marketplace: str | None, expected: str) -> None:
    assert base_url_for(configured, marketplace) == expected


def test_unknown_marketplace_on_amazon_hosts_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown marketplace"):
        base_url_for("https://sellingpartnerapi-na.amazon.com", "XX")
