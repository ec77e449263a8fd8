"""``python -m services.classifier.train``: fit the text model on data/train.jsonl and write the artifact.

Reproducible: rows are sorted by id, the solver is deterministic (L-BFGS, no shuffling) and the artifact is
written byte-for-byte stable, so two runs on the same data give the same model version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
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

__all__ = ["DATA_DIR", "fit", "load_rows", "main", "train_artifact"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_C = 8.0


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Labelled rows of a JSONL file, sorted by id."""
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    bad = [r.get("id") for r in rows if r.get("label") not in LABELS]
    if bad:
        raise ValueError(f"{path}: rows with unknown labels: {bad[:5]}")
    return sorted(rows, key=lambda r: str(r["id"]))


def fit(
    texts: Sequence[str], labels: Sequence[str], *, spec: FeatureSpec, c: float = DEFAULT_C
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """Multinomial logistic regression over IDF-weighted hashed features; returns (coef, bias, idf)."""
    idf = inverse_document_frequency(hashed_features(texts, spec), spec.bits)
    fb = featurize(texts, spec, idf=idf)
    x = csr_matrix((fb.values, (fb.rows, fb.cols)), shape=(fb.n_rows, 1 << spec.bits), dtype=np.float64)
    y = np.asarray([LABELS.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=3000, tol=1e-5)
    model.fit(x, y)
    if list(model.classes_) != list(range(len(LABELS))):
        raise ValueError("training data must contain every label")
    return np.asarray(model.coef_), np.asarray(model.intercept_), idf


def train_artifact(
    rows: Sequence[dict[str, Any]], out_dir: Path, *, spec: FeatureSpec, c: float = DEFAULT_C
) -> str:
    """Fit on ``rows`` and write the artifact to ``out_dir``; returns its version."""
    texts = [str(r["text"]) for r in rows]
    labels = [str(r["label"]) for r in rows]
    coef, bias, idf = fit(texts, labels, spec=spec, c=c)
    digest = hashlib.sha256("\n".join(f"{r['id']}\t{r['label']}\t{r['text']}" for r in rows).encode())
    info = {
        "c": c,
        "rows": len(rows),
        "data_sha256": digest.hexdigest(),
        "labels": dict(sorted(Counter(labels).items())),
        "languages": dict(sorted(Counter(str(r.get("language")) for r in rows).items())),
    }
    return write_artifact(out_dir, coef=coef, bias=bias, idf=idf, spec=spec, info=info)


def main(argv: list[str] | None = None) -> int:
    """Train, write the artifact and print held-out macro-F1 to stderr."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, default=DATA_DIR / "train.jsonl")
    parser.add_argument("--test", type=Path, default=DATA_DIR / "test.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N rows only")
    parser.add_argument("--c", type=float, default=DEFAULT_C)
    args = parser.parse_args(argv)
    rows = load_rows(args.train)[: args.limit]
    version = train_artifact(rows, args.out, spec=FeatureSpec(), c=args.c)
    sys.stderr.write(f"model {version}: {len(rows)} rows -> {args.out}\n")
    if args.test.exists():
        from services.classifier.engine import Classifier
        from services.classifier.metrics import evaluate

        test = load_rows(args.test)
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
