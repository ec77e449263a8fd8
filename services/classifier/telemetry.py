"""Prometheus metrics of the classifier's verdicts (quality drift: confidence and auto-reply share)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from shared.events import ComplaintClassified

__all__ = ["CONFIDENCE", "VERDICTS", "observe_verdicts"]

CONFIDENCE = Histogram(
    "classifier_confidence",
    "Confidence of each published verdict, by category (a shift to the left is model drift).",
    ["category"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0),
)
VERDICTS = Counter(
    "classifier_verdicts_total",
    "Published verdicts by category and whether the classifier allows an automatic reply.",
    ["category", "auto_reply"],
)


def observe_verdicts(outputs: Sequence[ComplaintClassified]) -> None:
    """Count the verdicts just published."""
    for event in outputs:
        category = str(event.category)
        CONFIDENCE.labels(category).observe(event.confidence)
        VERDICTS.labels(category, "true" if event.auto_reply else "false").inc()
