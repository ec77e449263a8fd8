"""Is one ASIN's complaint count today a spike against its own past? (pure)

The test: a Gamma-Poisson (empirical Bayes) model. An ASIN's daily complaint rate gets a weak Gamma prior
(``prior_complaints`` over ``prior_days``, i.e. half a complaint a day), updated with its complaints of the
baseline days; the predictive distribution of one day's count is then negative binomial, and the p-value is
its upper tail at today's count. Compared with a plain Poisson test at the baseline mean, the predictive
widens by how little history there is, so a new or quiet ASIN does not alarm on its first few complaints.
Two guards keep small numbers out: at least ``min_count`` complaints today (0 -> 3 is never a spike), and a
p-value below ``alpha`` (1e-5: with thousands of ASIN-days tested a month, a looser level would raise false
alarms on Poisson noise every week).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SpikePolicy", "SpikeVerdict", "judge", "predictive_tail"]


@dataclass(frozen=True, slots=True)
class SpikePolicy:
    """Thresholds of the spike test."""

    baseline_days: int = 28
    min_count: int = 5
    alpha: float = 1e-5
    prior_complaints: float = 1.0
    prior_days: float = 2.0


@dataclass(frozen=True, slots=True)
class SpikeVerdict:
    """The test's answer for one ASIN and day."""

    spike: bool
    expected: float
    p_value: float


def predictive_tail(count: int, *, shape: float, days: float) -> float:
    """P(X >= count) for one day's count under a Gamma(shape, days) rate: negative binomial upper tail."""
    if count <= 0:
        return 1.0
    p = days / (days + 1.0)
    log_p, log_q = math.log(p), math.log1p(-p)
    below = 0.0
    for x in range(count):
        below += math.exp(
            math.lgamma(shape + x) - math.lgamma(shape) - math.lgamma(x + 1) + shape * log_p + x * log_q
        )
    # Summing the upper tail directly keeps precision when it is tiny (1 - below would round to 0).
    if below > 0.5:
        upper = 0.0
        x = count
        while True:
            term = math.exp(
                math.lgamma(shape + x) - math.lgamma(shape) - math.lgamma(x + 1) + shape * log_p + x * log_q
            )
            upper += term
            if term < upper * 1e-15 or x > count + 100_000:
                break
            x += 1
        return min(1.0, upper)
    return max(0.0, 1.0 - below)


def judge(today: int, baseline: int, policy: SpikePolicy) -> SpikeVerdict:
    """Today's complaints against ``baseline`` complaints over the policy's baseline days."""
    shape = policy.prior_complaints + baseline
    days = policy.prior_days + policy.baseline_days
    expected = shape / days
    p_value = predictive_tail(today, shape=shape, days=days)
    return SpikeVerdict(
        spike=today >= policy.min_count and p_value < policy.alpha, expected=expected, p_value=p_value
    )
