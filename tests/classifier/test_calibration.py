"""Calibration, auto-reply thresholds and the evaluation metrics behind them (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from services.classifier.metrics import auto_reply_stats, confusion, expected_calibration_error
from services.classifier.textmodel import LABELS
from services.classifier.train import NEVER, calibrate, thresholds_for


def _sample(true_temperature: float, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    logits = rng.normal(0.0, 3.0, size=(n, len(LABELS)))
    z = logits / true_temperature
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    gold = np.array([rng.choice(len(LABELS), p=row) for row in p])
    return logits, gold


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_temperature_is_recovered_from_labels_drawn_at_that_temperature(true_temperature: float) -> None:
    logits, gold = _sample(true_temperature)
    assert calibrate(logits, gold) == pytest.approx(true_temperature, rel=0.15)


def test_thresholds_meet_the_precision_target_on_the_split() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    gold = rng.integers(0, len(LABELS), n)
    conf = rng.uniform(0.25, 1.0, n)
    right = rng.uniform(0, 1, n) < conf  # the more confident, the more often right
    pred = np.where(right, gold, (gold + 1) % len(LABELS))
    probs = np.full((n, len(LABELS)), 0.0)
    probs[np.arange(n), pred] = conf
    probs[np.arange(n), (pred + 1) % len(LABELS)] = 1 - conf
    got = thresholds_for(probs, gold, target=0.95)
    for k, label in enumerate(LABELS):
        t = got[label]
        assert 0.5 < t < NEVER
        sent = (pred == k) & (conf >= t)
        assert (gold[sent] == k).mean() >= 0.95
        # The lowest such threshold: one step lower would either break the target or add nothing.
        lower = (pred == k) & (conf >= t - 0.05)
        assert (gold[lower] == k).mean() < 0.95 or lower.sum() == sent.sum()


def test_a_label_that_never_reaches_the_target_never_replies_by_itself() -> None:
    probs = np.tile(np.array([[0.9, 0.05, 0.03, 0.02]]), (10, 1))
    gold = np.array([1] * 10)  # always wrong
    assert thresholds_for(probs, gold)["NOT_RECEIVED"] == NEVER


def test_expected_calibration_error() -> None:
    assert expected_calibration_error([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    assert expected_calibration_error([0.9] * 10, [False] * 10) == pytest.approx(0.9)
    mixed = expected_calibration_error([0.55, 0.55, 0.95, 0.95], [True, False, True, True])
    assert mixed == pytest.approx(0.5 * 0.05 + 0.5 * 0.05)
    assert expected_calibration_error([], []) == 0.0


def test_confusion_and_auto_reply_stats() -> None:
    gold = ["NOT_RECEIVED", "NOT_RECEIVED", "DEFECTIVE", "OTHER"]
    pred = ["NOT_RECEIVED", "DEFECTIVE", "DEFECTIVE", "OTHER"]
    m = confusion(gold, pred)
    assert m[0] == [1, 0, 1, 0]
    assert m[2] == [0, 0, 1, 0]
    assert m[3] == [0, 0, 0, 1]
    stats = auto_reply_stats(gold, pred, [True, True, False, True])
    assert (stats.answered, stats.correct, stats.complaints, stats.complaints_answered) == (3, 2, 3, 2)
    assert stats.precision == pytest.approx(2 / 3)
    assert stats.coverage == pytest.approx(3 / 4)
    assert stats.complaint_coverage == pytest.approx(2 / 3)
