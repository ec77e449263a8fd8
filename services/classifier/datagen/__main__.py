"""``python -m services.classifier.datagen``: rewrite data/train.jsonl from the phrase banks."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from services.classifier.datagen.bank import BANK_DIR, load_banks
from services.classifier.datagen.generate import generate_rows

__all__ = ["main"]

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "train.jsonl"
PER_LABEL = 420


def main(argv: list[str] | None = None) -> int:
    """Generate the training file deterministically and report its size to stderr."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--banks", type=Path, default=BANK_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-label", type=int, default=PER_LABEL)
    args = parser.parse_args(argv)
    rows = generate_rows(load_banks(args.banks), per_label=args.per_label)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["language"], r["label"]) for r in rows)
    summary = ", ".join(f"{lang}/{label}={n}" for (lang, label), n in sorted(counts.items()))
    sys.stderr.write(f"wrote {len(rows)} rows to {args.out}: {summary}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
