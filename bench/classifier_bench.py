"""Throughput of the classifier's batch text path (texts per second in one process).

Run: ``.venv/bin/python -m bench.classifier_bench [--repeat N]``. Uses the project's own held-out texts,
repeated, so it needs no external data; prints texts/s and the ratio to the 5,000 texts/s target.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from services.classifier.engine import Classifier

__all__ = ["main"]

_TEST = Path(__file__).resolve().parent.parent / "services" / "classifier" / "data" / "test.jsonl"
_TARGET = 5000.0


def main(argv: list[str] | None = None) -> None:
    """Time classify_texts over batches of the held-out texts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=60, help="copies of the held-out set per batch")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    texts = [json.loads(line)["text"] for line in _TEST.read_text(encoding="utf-8").splitlines() if line]
    corpus = texts * args.repeat
    clf = Classifier.load()
    clf.classify_texts(corpus[: args.batch])  # warm-up
    best = 0.0
    for _ in range(args.rounds):
        start = time.perf_counter()
        for i in range(0, len(corpus), args.batch):
            clf.classify_texts(corpus[i : i + args.batch])
        rate = len(corpus) / (time.perf_counter() - start)
        best = max(best, rate)
    print(
        f"classify_texts: {best:,.0f} texts/s ({len(corpus)} texts, batch {args.batch}, best of {args.rounds})"
    )
    print(f"ratio to target {_TARGET:,.0f} texts/s: {best / _TARGET:.2f}")


if __name__ == "__main__":
    main()
