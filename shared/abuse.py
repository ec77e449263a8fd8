"""Abusive-returner score in [0, 1] from a buyer's rolling-window history.

Each indicator contributes ``c_i = cap_i * clamp((x_i - free_i) / span_i)``: nothing up to a free allowance
(ordinary buyers return things), rising linearly to its cap. Indicators are combined as a noisy-OR,
``score = 1 - prod(1 - c_i)``, so no single indicator reaches 1 alone, several moderate ones add up, and
every contribution can be listed as a reason. The score only routes a case to a human (auto_reply False);
it never refuses the buyer anything.

One home for both services: the classifier scores a signal with it, the responder API recomputes it over a
caller's sellers from its own buyer-history projection.

==========================  =======================================  ====  =====  ====
indicator                   x                                        free  span   cap
==========================  =======================================  ====  =====  ====
abuse.return_rate           returns_365d / orders_365d (>= 4 orders)  0.25  0.50  0.60
abuse.returns_365d          returns_365d when orders are unknown      4     12     0.40
abuse.returns_30d           returns in the last 30 days               1     3      0.45
abuse.returns_90d           returns in the last 90 days               2     6      0.35
abuse.complaints_90d        complaints in the last 90 days            2     6      0.30
abuse.a_to_z_claims_365d    A-to-z claims in the last year            1     3      0.50
abuse.contradicting_90d     contradicting return reasons              0     2      0.50
abuse.long_use_returns      returns long after delivery               0     3      0.40
==========================  =======================================  ====  =====  ====
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Reason

__all__ = [
    "DEFAULT_ABUSIVE_THRESHOLD",
    "INDICATORS",
    "AbuseAssessment",
    "BuyerHistory",
    "Indicator",
    "assess_abuse",
]

DEFAULT_ABUSIVE_THRESHOLD = 0.7
"""Score from which a buyer is flagged (CLASSIFIER_ABUSIVE_THRESHOLD; the classifier and the buyers API read it)."""


@dataclass(frozen=True, slots=True)
class BuyerHistory:
    """Rolling-window counts for one salted buyer hash."""

    returns_30d: int = 0
    returns_90d: int = 0
    returns_365d: int = 0
    complaints_90d: int = 0
    a_to_z_claims_365d: int = 0
    contradicting_reasons_90d: int = 0  # e.g. 'defective' then 'no longer needed' for similar items
    long_use_returns_365d: int = 0  # returned long after delivery
    orders_365d: int | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    """One row of the table in the module docstring."""

    rule_id: str
    free: float
    span: float
    cap: float
    unit: str

    def contribution(self, x: float) -> float:
        """Capped linear ramp above the free allowance."""
        return self.cap * min(1.0, max(0.0, (x - self.free) / self.span))


INDICATORS: dict[str, Indicator] = {
    i.rule_id: i
    for i in (
        Indicator("abuse.return_rate", 0.25, 0.50, 0.60, "of orders returned in 365 days"),
        Indicator("abuse.returns_365d", 4, 12, 0.40, "returns in 365 days"),
        Indicator("abuse.returns_30d", 1, 3, 0.45, "returns in 30 days"),
        Indicator("abuse.returns_90d", 2, 6, 0.35, "returns in 90 days"),
        Indicator("abuse.complaints_90d", 2, 6, 0.30, "complaints in 90 days"),
        Indicator("abuse.a_to_z_claims_365d", 1, 3, 0.50, "A-to-z claims in 365 days"),
        Indicator("abuse.contradicting_90d", 0, 2, 0.50, "contradicting return reasons in 90 days"),
        Indicator("abuse.long_use_returns", 0, 3, 0.40, "returns long after delivery in 365 days"),
    )
}
_MIN_ORDERS_FOR_RATE = 4


@dataclass(frozen=True, slots=True)
class AbuseAssessment:
    """The score, whether it crosses the threshold, and one reason per contributing indicator."""

    score: float
    abusive: bool
    reasons: tuple[Reason, ...]


def _inputs(history: BuyerHistory) -> dict[str, float]:
    xs: dict[str, float] = {
        "abuse.returns_30d": history.returns_30d,
        "abuse.returns_90d": history.returns_90d,
        "abuse.complaints_90d": history.complaints_90d,
        "abuse.a_to_z_claims_365d": history.a_to_z_claims_365d,
        "abuse.contradicting_90d": history.contradicting_reasons_90d,
        "abuse.long_use_returns": history.long_use_returns_365d,
    }
    if history.orders_365d is not None and history.orders_365d >= _MIN_ORDERS_FOR_RATE:
        xs["abuse.return_rate"] = history.returns_365d / history.orders_365d
    else:
        xs["abuse.returns_365d"] = history.returns_365d
    return xs


def assess_abuse(history: BuyerHistory, *, threshold: float) -> AbuseAssessment:
    """Noisy-OR of the indicators; ``abusive`` when the score reaches ``threshold``."""
    remaining = 1.0
    reasons: list[Reason] = []
    for rule_id, x in _inputs(history).items():
        indicator = INDICATORS[rule_id]
        c = indicator.contribution(x)
        if c > 0:
            remaining *= 1.0 - c
            shown = f"{x:.0%}" if rule_id == "abuse.return_rate" else f"{x:g}"
            reasons.append(Reason(rule_id=rule_id, detail=f"{shown} {indicator.unit}", weight=round(c, 4)))
    score = round(1.0 - remaining, 4)
    abusive = score >= threshold
    verdict = "at or over" if abusive else "under"
    reasons.insert(
        0, Reason(rule_id="abuse.score", detail=f"{verdict} threshold {threshold:g}", weight=score)
    )
    return AbuseAssessment(score=score, abusive=abusive, reasons=tuple(reasons))
