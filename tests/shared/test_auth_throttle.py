"""AuthFailures: per-address and global buckets of failed authentications, bounded memory."""

from __future__ import annotations

import pytest

from shared.auth_throttle import AuthFailures, AuthThrottled


def test_an_address_is_blocked_after_its_burst_and_recovers_with_time() -> None:
    now = [0.0]
    failures = AuthFailures(per_client=3, client_rate=0.5, global_burst=100, clock=lambda: now[0])
    for _ in range(3):
        assert failures.blocked("10.0.0.1") == 0.0
        failures.failed("10.0.0.1")
    wait = failures.blocked("10.0.0.1")
    assert wait == pytest.approx(2.0)
    assert failures.retry_after(wait) == "2"
    with pytest.raises(AuthThrottled) as caught:
        failures.check("10.0.0.1")
    assert caught.value.retry_after == "2"
    assert failures.blocked("10.0.0.2") == 0.0  # other addresses are not affected
    now[0] += 2.0
    assert failures.blocked("10.0.0.1") == 0.0


def test_many_addresses_together_hit_the_global_bucket() -> None:
    now = [0.0]
    failures = AuthFailures(per_client=5, global_burst=20, global_rate=1.0, clock=lambda: now[0])
    for i in range(20):
        failures.failed(f"10.0.{i}.1")
    assert failures.blocked("192.0.2.7") == pytest.approx(1.0)


def test_client_buckets_are_a_bounded_lru() -> None:
    failures = AuthFailures(per_client=1, global_burst=10_000, max_clients=50, clock=lambda: 0.0)
    failures.failed("keep")
    for i in range(200):
        failures.failed(f"10.1.{i // 250}.{i % 250}")
        failures.failed("keep")  # recently used: never the one evicted
    assert len(failures._clients) == 50
    assert failures.blocked("keep") > 0
