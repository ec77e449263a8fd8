"""Precision, recall and F1 per class, per language, and macro-F1 (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.classifier.textmodel import LABELS

__all__ = ["ClassScore", "EvalReport", "evaluate", "score"]


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
