"""The ASIN spike test: a defect batch fires; Poisson noise at the baseline and small numbers do not."""

from __future__ import annotations

import math
import random

import pytest

from services.responder.health.spikes import SpikePolicy, judge, predictive_tail

POLICY = SpikePolicy()  # 28 baseline days, at least 5 complaints, alpha 1e-5, prior 1 complaint over 2 days


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates of one ASIN's day.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def test_tail_matches_a_case_computed_by_hand() -> None:
    # Gamma(shape 1, 30 days) rate: the predictive is geometric with p = 30/31, so
    # P(X >= k) = (1/31)^k; k = 3 gives 1/29791 = 3.3567e-5.
    assert predictive_tail(3, shape=1.0, days=30.0) == pytest.approx(1 / 31**3, rel=1e-9)
    assert predictive_tail(0, shape=5.0, days=10.0) == 1.0
    # Far in the tail it is summed directly, not 1 - (almost 1).
    assert 0 < predictive_tail(200, shape=57.0, days=30.0) < 1e-100


def test_a_defect_batch_fires() -> None:
    # 2 complaints a day for 28 days (56), then 20 in one day: the batch of a bad shipment.
    verdict = judge(20, 56, POLICY)
    assert verdict.spike
    assert verdict.expected == pytest.approx(57 / 30)
    assert verdict.p_value < 1e-9


@pytest.mark.parametrize("today", [1, 2, 3, 4])
def test_small_numbers_never_fire(today: int) -> None:
    # A quiet ASIN (no complaint in 28 days) drawing up to 4 in a day: improbable, but too few to alert on.
    verdict = judge(today, 0, POLICY)
    assert not verdict.spike
    assert verdict.p_value < 0.01 or today == 1  # the minimum count, not the p-value, holds them back


def test_a_quiet_asin_with_a_real_burst_fires() -> None:
    assert judge(8, 0, POLICY).spike


def test_poisson_noise_at_the_baseline_does_not_fire() -> None:
    # Ten ASINs with rates from 0.3 to 6 a day over a year: every day judged against the 28 days before it.
    rng = random.Random(20261203)
    tested = fired = 0
    for lam in (0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 2.5):
        days = [_poisson(rng, lam) for _ in range(365 + POLICY.baseline_days)]
        for i in range(POLICY.baseline_days, len(days)):
            baseline = sum(days[i - POLICY.baseline_days : i])
            tested += 1
            fired += judge(days[i], baseline, POLICY).spike
    assert tested == 3650
    assert fired == 0


def test_the_same_burst_is_not_a_spike_for_a_busy_asin() -> None:
    # 20 in a day is a spike at 2 a day, and ordinary at 18 a day.
    assert judge(20, 56, POLICY).spike
    assert not judge(20, 18 * 28, POLICY).spike
