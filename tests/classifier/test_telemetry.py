"""Verdict metrics: the confidence histogram and the verdict counter by category and auto-reply."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.classifier.telemetry import observe_verdicts
from tests.responder.support import classified


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_verdicts_feed_the_confidence_histogram_and_the_auto_reply_counter() -> None:
    low = classified(category="defective", auto_reply=False).model_copy(update={"confidence": 0.42})
    high = classified(category="defective").model_copy(update={"confidence": 0.97})
    before = {
        "count": _value("classifier_confidence_count", category="defective"),
        "under_half": _value("classifier_confidence_bucket", category="defective", le="0.5"),
        "auto": _value("classifier_verdicts_total", category="defective", auto_reply="true"),
        "held": _value("classifier_verdicts_total", category="defective", auto_reply="false"),
    }
    observe_verdicts([low, high])
    assert _value("classifier_confidence_count", category="defective") == before["count"] + 2
    assert _value("classifier_confidence_bucket", category="defective", le="0.5") == before["under_half"] + 1
    assert _value("classifier_verdicts_total", category="defective", auto_reply="true") == before["auto"] + 1
    assert _value("classifier_verdicts_total", category="defective", auto_reply="false") == before["held"] + 1
