"""``python -m services.classifier.train``: fit the text model and write the artifact.

Training rows are the hand-written messages in ``data/written/train/*.jsonl`` plus the generated
``data/train.jsonl``. The shipped model, fitted on every training row, is then scored on the written
held-out rows (``data/written/heldout``, never trained on): they give the temperature that calibrates its
probabilities and, per label, the lowest confidence at which automatic replies reach the precision
target. Reproducible: rows are sorted by id, the solver is deterministic (L-BFGS, no
shuffling) and the artifact is written byte-for-byte stable, so two runs on the same data give the same
model version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from services.classifier.features import FeatureSpec, featurize, hashed_features, inverse_document_frequency
from services.classifier.textmodel import DEFAULT_MODEL_DIR, LABELS, TextModel, write_artifact

__all__ = [
    "DATA_DIR",
    "DEFAULT_SPEC",
    "PRECISION_TARGET",
    "WRITTEN_WEIGHT",
    "calibrate",
    "fit",
    "is_calibration_row",
    "is_written",
    "load_held_out_rows",
    "load_rows",
    "load_training_rows",
    "main",
    "thresholds_for",
    "train_artifact",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
WRITTEN_DIR = DATA_DIR / "written"
DEFAULT_C = 8.0
DEFAULT_SPEC = FeatureSpec(cjk_bigrams=True, cue_weight=2.0)
# Measured on dev.jsonl (evaluation only, never fitted): 0.97 -> 0.86 precision at 46 % of complaints,
# 0.98 -> 0.92 at 29 %, 0.99 -> 0.94 at 19 %. Our held-out rows read like our training rows, so real text
# gets less than the target. 0.99 answered none of the demo's complaints by itself (the full classify()
# blends the text with order evidence); 0.98 cuts wrong-category replies while still answering some.
PRECISION_TARGET = 0.98
# A hand-written row counts as this many generated ones: it reads more like real buyer text (held-out
# macro-F1 0.895 -> 0.902 and dev 0.692 -> 0.699 at 3 against 1; only these two values were tried).
WRITTEN_WEIGHT = 3.0
MIN_AUTO_REPLIES = 5  # a label with fewer confident predictions on the split never replies by itself
NEVER = 1.01  # threshold above any probability


def load_training_rows(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Written training rows plus the generated ones, sorted by id."""
    rows = [r for p in sorted((data_dir / "written" / "train").glob("*.jsonl")) for r in load_rows(p)]
    generated = data_dir / "train.jsonl"
    if generated.exists():
        rows += load_rows(generated)
    return sorted(rows, key=lambda r: str(r["id"]))


def load_held_out_rows(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The written held-out rows (never trained on), sorted by id."""
    rows = [r for p in sorted((data_dir / "written" / "heldout").glob("*.jsonl")) for r in load_rows(p)]
    return sorted(rows, key=lambda r: str(r["id"]))


def is_written(row: dict[str, Any]) -> bool:
    """A hand-written training row (ids ``w-<lang>-...``)."""
    return str(row["id"]).startswith("w-")


def is_calibration_row(row: dict[str, Any]) -> bool:
    """One written row in five, by a stable hash of its id (generated rows are never used to calibrate)."""
    rid = str(row["id"])
    return rid.startswith("w-") and zlib.crc32(rid.encode()) % 5 == 0


def _softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def calibrate(logits: npt.NDArray[np.float64], gold: npt.NDArray[np.int64]) -> float:
    """The temperature minimizing the negative log-likelihood of ``gold`` (grid search, deterministic)."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(10.0), 400))
    nll = [float(-np.log(_softmax(logits / t)[np.arange(len(gold)), gold] + 1e-12).mean()) for t in grid]
    return round(float(grid[int(np.argmin(nll))]), 4)


def thresholds_for(
    probs: npt.NDArray[np.float64], gold: npt.NDArray[np.int64], *, target: float = PRECISION_TARGET
) -> dict[str, float]:
    """Per label, the lowest confidence whose automatic replies (prediction and confidence at or above it)
    were right at least ``target`` of the time; :data:`NEVER` when no threshold gets there."""
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    out: dict[str, float] = {}
    for k, label in enumerate(LABELS):
        idx = np.flatnonzero(pred == k)
        order = idx[np.argsort(-conf[idx], kind="stable")]
        right = np.cumsum(gold[order] == k)
        n = np.arange(1, len(order) + 1)
        ok = np.flatnonzero((right / n >= target) & (n >= MIN_AUTO_REPLIES))
        out[label] = round(float(conf[order[ok[-1]]]), 4) if len(ok) else NEVER
    return out


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Labelled rows of a JSONL file, sorted by id."""
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    bad = [r.get("id") for r in rows if r.get("label") not in LABELS]
    if bad:
        raise ValueError(f"{path}: rows with unknown labels: {bad[:5]}")
    return sorted(rows, key=lambda r: str(r["id"]))


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    spec: FeatureSpec,
    c: float = DEFAULT_C,
    weights: Sequence[float] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """Multinomial logistic regression over IDF-weighted hashed features (``weights`` per row, default 1);
    returns (coef, bias, idf)."""
    idf = inverse_document_frequency(hashed_features(texts, spec), spec.bits)
    fb = featurize(texts, spec, idf=idf)
    x = csr_matrix((fb.values, (fb.rows, fb.cols)), shape=(fb.n_rows, 1 << spec.bits), dtype=np.float64)
    y = np.asarray([LABELS.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=3000, tol=1e-5)
    model.fit(x, y, sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64))
    if list(model.classes_) != list(range(len(LABELS))):
        raise ValueError("training data must contain every label")
    return np.asarray(model.coef_), np.asarray(model.intercept_), idf


def _scores(
    coef: npt.NDArray[np.float64],
    bias: npt.NDArray[np.float64],
    idf: npt.NDArray[np.float32],
    rows: Sequence[dict[str, Any]],
    spec: FeatureSpec,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Raw logits of a fitted model on ``rows``, and their gold label indices."""
    fb = featurize([str(r["text"]) for r in rows], spec, idf=idf)
    x = csr_matrix((fb.values, (fb.rows, fb.cols)), shape=(fb.n_rows, 1 << spec.bits), dtype=np.float64)
    return np.asarray(x @ coef.T) + bias, np.asarray([LABELS.index(r["label"]) for r in rows])


def _calibration_of(
    logits: npt.NDArray[np.float64], gold: npt.NDArray[np.int64], *, method: str, target: float
) -> dict[str, Any]:
    temperature = calibrate(logits, gold)
    return {
        "temperature": temperature,
        "thresholds": thresholds_for(_softmax(logits / temperature), gold, target=target),
        "precision_target": target,
        "rows": len(gold),
        "method": method,
    }


def _calibration(
    rows: Sequence[dict[str, Any]], *, spec: FeatureSpec, c: float, shifted: bool, target: float
) -> dict[str, Any] | None:
    """Temperature and thresholds from rows the calibrating model did not see.

    ``shifted``: the calibrating model is fitted on the generated rows only and scored on every
    hand-written row, which read differently (as real buyer text does from anything a model was trained
    on); otherwise one written row in five is held back from a model fitted on the rest.
    """
    if shifted:
        held = [r for r in rows if is_written(r)]
        rest = [r for r in rows if not is_written(r)]
    else:
        held = [r for r in rows if is_calibration_row(r)]
        rest = [r for r in rows if not is_calibration_row(r)]
    if len(held) < 20 or len({r["label"] for r in rest}) < len(LABELS):
        return None
    coef, bias, idf = fit([str(r["text"]) for r in rest], [str(r["label"]) for r in rest], spec=spec, c=c)
    logits, gold = _scores(coef, bias, idf, held, spec)
    return _calibration_of(logits, gold, method="shifted" if shifted else "split", target=target)


def train_artifact(
    rows: Sequence[dict[str, Any]],
    out_dir: Path,
    *,
    spec: FeatureSpec,
    c: float = DEFAULT_C,
    calibrated: bool = True,
    shifted: bool = True,
    held_out: Sequence[dict[str, Any]] = (),
    target: float = PRECISION_TARGET,
) -> str:
    """Fit on ``rows`` and write the artifact; returns its version.

    Calibration (temperature and per-label auto-reply thresholds at ``target`` precision): on ``held_out``
    (the written held-out rows, never trained on) scored by the shipped model itself when there are at
    least 20 of them; otherwise from a model fitted without part of ``rows`` (see :func:`_calibration`).
    """
    texts = [str(r["text"]) for r in rows]
    labels = [str(r["label"]) for r in rows]
    weights = [WRITTEN_WEIGHT if is_written(r) else 1.0 for r in rows]
    coef, bias, idf = fit(texts, labels, spec=spec, c=c, weights=weights)
    calibration: dict[str, Any] | None = None
    if calibrated and len(held_out) >= 20:
        logits, gold = _scores(coef, bias, idf, held_out, spec)
        calibration = _calibration_of(logits, gold, method="held_out", target=target)
    elif calibrated:
        calibration = _calibration(rows, spec=spec, c=c, shifted=shifted, target=target)
    digest = hashlib.sha256("\n".join(f"{r['id']}\t{r['label']}\t{r['text']}" for r in rows).encode())
    info = {
        "c": c,
        "written_weight": WRITTEN_WEIGHT,
        "rows": len(rows),
        "data_sha256": digest.hexdigest(),
        "labels": dict(sorted(Counter(labels).items())),
        "languages": dict(sorted(Counter(str(r.get("language")) for r in rows).items())),
        "calibration": calibration,
    }
    return write_artifact(out_dir, coef=coef, bias=bias, idf=idf, spec=spec, info=info)


def main(argv: list[str] | None = None) -> int:
    """Train, write the artifact and print held-out macro-F1 to stderr."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--train", type=Path, default=None, help="one JSONL file (default: written + generated)"
    )
    parser.add_argument("--test", type=Path, default=None, help="default: the written held-out set")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N rows only")
    parser.add_argument("--c", type=float, default=DEFAULT_C)
    parser.add_argument(
        "--precision-target",
        type=float,
        default=PRECISION_TARGET,
        help="auto-reply precision each label's threshold must reach on the held-out rows",
    )
    args = parser.parse_args(argv)
    rows = (load_rows(args.train) if args.train else load_training_rows())[: args.limit]
    held_out = load_held_out_rows()
    version = train_artifact(
        rows, args.out, spec=DEFAULT_SPEC, c=args.c, held_out=held_out, target=args.precision_target
    )
    sys.stderr.write(f"model {version}: {len(rows)} rows -> {args.out}\n")
    test = load_rows(args.test) if args.test else held_out
    if test:
        from services.classifier.engine import Classifier
        from services.classifier.metrics import evaluate

        clf = Classifier(TextModel.load(args.out))
        verdicts = clf.classify_texts([r["text"] for r in test])
        report = evaluate(
            [r["label"] for r in test], [v.label for v in verdicts], [r["language"] for r in test]
        )
        per_lang = " ".join(f"{k}={v.macro_f1:.3f}" for k, v in report.by_language.items())
        sys.stderr.write(f"held-out macro-F1 {report.macro_f1:.3f} ({per_lang})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
