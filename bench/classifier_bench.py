"""Throughput of the classifier's batch text path (texts per second in one process).

Run: ``.venv/bin/python -m bench.classifier_bench``. Uses the project's own held-out texts, repeated, so it
needs no external data; prints texts/s and the ratio to the 5,000 texts/s target.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from services.classifier.engine import Classifier

__all__ = ["TARGET_TEXTS_PER_S", "classify_texts_throughput", "main"]

_TEST = Path(__file__).resolve().parent.parent / "services" / "classifier" / "data" / "test.jsonl"
TARGET_TEXTS_PER_S = 5000.0


def classify_texts_throughput(*, repeat: int = 60, batch: int = 2000, rounds: int = 3) -> tuple[float, int]:
    """Best-of-``rounds`` texts/s of ``classify_texts`` over the held-out texts; returns (rate, texts)."""
    texts = [json.loads(line)["text"] for line in _TEST.read_text(encoding="utf-8").splitlines() if line]
    corpus = texts * repeat
    clf = Classifier.load()
    clf.classify_texts(corpus[:batch])  # warm-up
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(0, len(corpus), batch):
            clf.classify_texts(corpus[i : i + batch])
        best = max(best, len(corpus) / (time.perf_counter() - start))
    return best, len(corpus)


def main(argv: list[str] | None = None) -> None:
    """Print the measured rate and its ratio to the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=60, help="copies of the held-out set")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rate, n = classify_texts_throughput(repeat=args.repeat, batch=args.batch, rounds=args.rounds)
    print(
        f"classifier classify_texts: {rate:,.0f} texts/s ({n} texts, batch {args.batch}, best of {args.rounds})"
    )
    print(f"classifier ratio to target {TARGET_TEXTS_PER_S:,.0f} texts/s: {rate / TARGET_TEXTS_PER_S:.2f}")


if __name__ == "__main__":
    main()
