"""Precision, recall and F1 per class, per language, and macro-F1 (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.classifier.textmodel import LABELS

__all__ = [
    "AutoReplyStats",
    "ClassScore",
    "EvalReport",
    "auto_reply_stats",
    "confusion",
    "evaluate",
    "expected_calibration_error",
    "score",
]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """One class's counts and rates."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Scores over a set of predictions, optionally split by language."""

    n: int
    accuracy: float
    macro_f1: float
    classes: tuple[ClassScore, ...]
    by_language: dict[str, EvalReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "classes": {
                c.label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for c in self.classes
            },
            "by_language": {lang: rep.as_dict() for lang, rep in sorted(self.by_language.items())},
        }


def score(gold: Sequence[str], pred: Sequence[str]) -> EvalReport:
    """Scores for one set; macro-F1 averages the classes present in gold or predictions."""
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    classes = []
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes.append(ClassScore(label, precision, recall, f1, n_gold))
    active = [c for c in classes if c.support or any(p == c.label for p in pred)]
    macro = sum(c.f1 for c in active) / len(active) if active else 0.0
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    return EvalReport(len(gold), accuracy, macro, tuple(classes))


def evaluate(gold: Sequence[str], pred: Sequence[str], languages: Sequence[str | None]) -> EvalReport:
    """Overall scores plus one report per language."""
    overall = score(gold, pred)
    by_language: dict[str, EvalReport] = {}
    for lang in sorted({lang or "?" for lang in languages}):
        idx = [i for i, x in enumerate(languages) if (x or "?") == lang]
        by_language[lang] = score([gold[i] for i in idx], [pred[i] for i in idx])
    return EvalReport(overall.n, overall.accuracy, overall.macro_f1, overall.classes, by_language)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> list[list[int]]:
    """Counts ``[gold][predicted]`` in :data:`LABELS` order."""
    out = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, pred, strict=True):
        out[LABELS.index(g)][LABELS.index(p)] += 1
    return out


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: per equal-width confidence bin, |accuracy - mean confidence|, weighted by the bin's share."""
    if len(confidence) != len(correct):
        raise ValueError("confidence and correct differ in length")
    if not confidence:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidence) if lo < c <= hi or (b == 0 and c == 0.0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidence[i] for i in idx) / len(idx)
            total += len(idx) / len(confidence) * abs(acc - conf)
    return total


@dataclass(frozen=True, slots=True)
class AutoReplyStats:
    """How automatic replies would have fared: precision over those sent, coverage over the rows."""

    n: int
    answered: int
    correct: int
    complaints: int  # rows whose gold label is a complaint (not OTHER)
    complaints_answered: int

    @property
    def precision(self) -> float:
        """Share of automatic replies whose category was right (1.0 when none were sent)."""
        return self.correct / self.answered if self.answered else 1.0

    @property
    def coverage(self) -> float:
        """Share of all rows answered automatically."""
        return self.answered / self.n if self.n else 0.0

    @property
    def complaint_coverage(self) -> float:
        """Share of real complaints answered automatically."""
        return self.complaints_answered / self.complaints if self.complaints else 0.0


def auto_reply_stats(gold: Sequence[str], pred: Sequence[str], answered: Sequence[bool]) -> AutoReplyStats:
    """Precision and coverage of the rows flagged ``answered`` (sent without a human)."""
    if not len(gold) == len(pred) == len(answered):
        raise ValueError("gold, predictions and answered differ in length")
    rows = list(zip(gold, pred, answered, strict=True))
    return AutoReplyStats(
        n=len(rows),
        answered=sum(a for _, _, a in rows),
        correct=sum(a and g == p for g, p, a in rows),
        complaints=sum(g != "OTHER" for g, _, _ in rows),
        complaints_answered=sum(a and g != "OTHER" for g, _, a in rows),
    )
