"""The running ODR estimate and its warnings, on cases computed by hand."""

from __future__ import annotations

import pytest

from services.responder.health.estimate import OdrEstimate, odr_warnings


def test_rates_of_a_known_case() -> None:
    # 800 orders in the window; 4 with 1-2 star feedback, 3 with an A-to-z claim, one of them both:
    # 6 defective orders. ODR = 6 / 800 = 0.0075, negative feedback rate = 4 / 800 = 0.005.
    estimate = OdrEstimate(orders=800, negative_feedback=4, a_to_z_claims=3, defective_orders=6)
    assert estimate.odr == pytest.approx(0.0075)
    assert estimate.negative_feedback_rate == pytest.approx(0.005)


def test_no_orders_no_rate_no_warning() -> None:
    estimate = OdrEstimate(orders=0, negative_feedback=2, a_to_z_claims=0, defective_orders=2)
    assert (estimate.odr, estimate.negative_feedback_rate) == (None, None)
    assert odr_warnings(estimate, amazon_rate=None) == []


def test_warnings_only_for_thresholds_amazon_has_not_reached() -> None:
    estimate = OdrEstimate(orders=800, negative_feedback=4, a_to_z_claims=3, defective_orders=6)  # 0.0075
    # Amazon still says 0.4 %: ours crossed 0.5 % first; 1 % is not reached.
    assert [(w.threshold, w.amazon) for w in odr_warnings(estimate, amazon_rate=0.004)] == [(0.005, 0.004)]
    # Amazon already reports 0.6 %: nothing new to warn about.
    assert odr_warnings(estimate, amazon_rate=0.006) == []
    # 9 of 800 = 1.125 %: both lines crossed ahead of a 0.4 % report.
    worse = OdrEstimate(orders=800, negative_feedback=5, a_to_z_claims=4, defective_orders=9)
    assert [w.threshold for w in odr_warnings(worse, amazon_rate=0.004)] == [0.005, 0.01]
    # Exactly at the line counts as crossed: 4 of 800 = 0.5 %.
    edge = OdrEstimate(orders=800, negative_feedback=4, a_to_z_claims=0, defective_orders=4)
    assert [w.threshold for w in odr_warnings(edge, amazon_rate=None)] == [0.005]
