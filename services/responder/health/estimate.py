"""Our running Order Defect Rate between Amazon's reports, and the warnings it raises (pure).

ODR = orders with at least one defect (1-2 star feedback, A-to-z claim, chargeback) / orders, over Amazon's
60-day window; the negative feedback rate is the same over negative feedback alone. We count the orders
ORDER_CHANGE told us about (by purchase date) and the defects we saw in the window, each order once.
A warning is raised when our figure has reached a threshold (0.5 % "good" limit, 1 % Amazon's target) while
Amazon's last reported figure for the channel is still below it: the account is heading over the line
before Amazon's report says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

__all__ = ["ODR_THRESHOLDS", "ODR_WINDOW", "OdrEstimate", "OdrWarning", "amazon_rate", "odr_warnings"]

ODR_WINDOW = timedelta(days=60)
ODR_THRESHOLDS = (0.005, 0.01)


@dataclass(frozen=True, slots=True)
class OdrEstimate:
    """Counts of one channel over the window and the rates they give (None without orders)."""

    orders: int
    negative_feedback: int
    a_to_z_claims: int
    defective_orders: int

    @property
    def odr(self) -> float | None:
        """Defective orders over orders."""
        return self.defective_orders / self.orders if self.orders else None

    @property
    def negative_feedback_rate(self) -> float | None:
        """Orders with negative feedback over orders."""
        return self.negative_feedback / self.orders if self.orders else None


@dataclass(frozen=True, slots=True)
class OdrWarning:
    """Our estimate crossed ``threshold`` while Amazon's last figure (None: no report yet) had not."""

    threshold: float
    estimate: float
    amazon: float | None


def odr_warnings(estimate: OdrEstimate, *, amazon_rate: float | None) -> list[OdrWarning]:
    """The thresholds our estimate has reached ahead of Amazon's last figure."""
    ours = estimate.odr
    if ours is None:
        return []
    return [
        OdrWarning(threshold=t, estimate=ours, amazon=amazon_rate)
        for t in ODR_THRESHOLDS
        if ours >= t and (amazon_rate is None or amazon_rate < t)
    ]


def amazon_rate(order_defect_rates: Sequence[Mapping[str, Any]], channel: str) -> float | None:
    """The channel's rate in a stored report's ``order_defect_rates`` (None when the report has none)."""
    for figures in order_defect_rates:
        if figures.get("fulfillment") == channel and isinstance(figures.get("rate"), int | float):
            return float(figures["rate"])
    return None
