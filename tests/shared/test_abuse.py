"""Abusive-returner score: bounded, monotonic, explained, and only over the configured threshold."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from shared.abuse import INDICATORS, BuyerHistory, assess_abuse

counts = st.integers(min_value=0, max_value=500)


def test_an_ordinary_buyer_scores_zero() -> None:
    result = assess_abuse(BuyerHistory(returns_365d=2, returns_90d=1, orders_365d=20), threshold=0.7)
    assert result.score == 0.0
    assert not result.abusive
    assert [r.rule_id for r in result.reasons] == ["abuse.score"]


def test_indicators_combine_as_noisy_or() -> None:
    history = BuyerHistory(contradicting_reasons_90d=2, a_to_z_claims_365d=4)
    result = assess_abuse(history, threshold=0.7)
    assert result.score == 0.75  # 1 - (1 - 0.5) * (1 - 0.5)
    assert result.abusive
    contributions = {r.rule_id: r.weight for r in result.reasons}
    assert contributions["abuse.contradicting_90d"] == 0.5
    assert contributions["abuse.a_to_z_claims_365d"] == 0.5


def test_threshold_comes_from_the_caller() -> None:
    history = BuyerHistory(returns_30d=4)
    assert assess_abuse(history, threshold=0.4).abusive
    assert not assess_abuse(history, threshold=0.5).abusive


def test_return_rate_is_used_when_orders_are_known() -> None:
    heavy = assess_abuse(BuyerHistory(returns_365d=15, orders_365d=20), threshold=0.7)
    light = assess_abuse(BuyerHistory(returns_365d=15, orders_365d=200), threshold=0.7)
    assert heavy.score > light.score == 0.0
    assert any(r.rule_id == "abuse.return_rate" and "75%" in r.detail for r in heavy.reasons)


def test_without_orders_the_yearly_count_is_used() -> None:
    result = assess_abuse(BuyerHistory(returns_365d=10), threshold=0.7)
    assert any(r.rule_id == "abuse.returns_365d" for r in result.reasons)
    assert 0 < result.score < 0.7


@given(
    st.builds(
        BuyerHistory,
        returns_30d=counts,
        returns_90d=counts,
        returns_365d=counts,
        complaints_90d=counts,
        a_to_z_claims_365d=counts,
        contradicting_reasons_90d=counts,
        long_use_returns_365d=counts,
        orders_365d=st.none() | st.integers(min_value=0, max_value=1000),
    ),
    st.sampled_from(sorted(INDICATORS)),
)
def test_score_is_bounded_and_never_falls_when_an_indicator_rises(history: BuyerHistory, rule: str) -> None:
    field = {
        "abuse.returns_30d": "returns_30d",
        "abuse.returns_90d": "returns_90d",
        "abuse.returns_365d": "returns_365d",
        "abuse.return_rate": "returns_365d",
        "abuse.complaints_90d": "complaints_90d",
        "abuse.a_to_z_claims_365d": "a_to_z_claims_365d",
        "abuse.contradicting_90d": "contradicting_reasons_90d",
        "abuse.long_use_returns": "long_use_returns_365d",
    }[rule]
    base = assess_abuse(history, threshold=0.7).score
    more = replace(history, **{field: getattr(history, field) + 3})
    assert 0.0 <= base <= assess_abuse(more, threshold=0.7).score < 1.0
