"""Throughput of the classifier in one process: the batch text path and the full per-signal ``classify()``.

Run: ``.venv/bin/python -m bench.classifier_bench``. Uses the project's own held-out texts, repeated, so it
needs no external data; prints texts/s of ``classify_texts`` (target 5,000) and signals/s of ``classify()``
and of ``classify_many()`` over batches as one Kafka poll brings them, with rules, priority and explanations
(target 2,000), each with its ratio to ``classify_texts`` in the same run; and, separately, texts/s of the
second opinion (the encoder the service asks about texts below the auto-reply thresholds), and the peak
resident memory of a fresh process that loads the classifier with it and serves the held-out signals.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from services.classifier.encoder import Encoder
from services.classifier.engine import Classifier
from services.classifier.settings import ClassifierSettings
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for

__all__ = [
    "TARGET_SIGNALS_PER_S",
    "TARGET_TEXTS_PER_S",
    "classify_texts_throughput",
    "classify_throughput",
    "main",
    "peak_rss_with_second_opinion",
    "second_opinion_throughput",
]

_TEST = Path(__file__).resolve().parent.parent / "services" / "classifier" / "data" / "test.jsonl"
TARGET_TEXTS_PER_S = 5000.0
TARGET_SIGNALS_PER_S = 2000.0


def _texts() -> list[str]:
    return [json.loads(line)["text"] for line in _TEST.read_text(encoding="utf-8").splitlines() if line]


def _signals(repeat: int, now: datetime) -> list[ComplaintSignalReceived]:
    return [
        ComplaintSignalReceived(
            event_id=event_id_for(f"bench:{i}"),
            occurred_at=now,
            seller_id="A2SELLER",
            marketplace_id="A1PA6795UKMFR9",
            order_id=f"302-{i:07d}-0000000",
            dedup_key=f"bench:{i}",
            correlation_id=f"bench-{i}",
            source=SignalSource.EMAIL,
            kind=SignalKind.BUYER_MESSAGE,
            text=text,
        )
        for i, text in enumerate(_texts() * repeat)
    ]


def classify_throughput(
    *, repeat: int = 3, rounds: int = 3, batch: int = 1, second_opinion: bool = False
) -> tuple[float, int, float]:
    """Best-of-``rounds`` signals/s of the full classification (explanations included) over the held-out
    texts: ``classify()`` one signal at a time when ``batch`` is 1, else ``classify_many()`` per ``batch``;
    returns (rate, signals, rate per second of this process's CPU time)."""
    now = datetime(2025, 3, 1, tzinfo=UTC)
    signals = _signals(repeat, now)
    clf = Classifier.load(second_opinion=second_opinion)
    settings = ClassifierSettings()
    best = best_cpu = 0.0
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        if batch == 1:
            for sig in signals:
                clf.classify(sig, context=None, history=None, now=now, settings=settings)
        else:
            for i in range(0, len(signals), batch):
                items = [(sig, None, None) for sig in signals[i : i + batch]]
                clf.classify_many(items, now=now, settings=settings)
        best = max(best, len(signals) / (time.perf_counter() - start))
        best_cpu = max(best_cpu, len(signals) / (time.process_time() - cpu))
    return best, len(signals), best_cpu


def classify_texts_throughput(
    *, repeat: int = 60, batch: int = 2000, rounds: int = 3
) -> tuple[float, int, float]:
    """Best-of-``rounds`` texts/s of ``classify_texts`` over the held-out texts; returns (rate, texts, rate
    per second of CPU time: steadier than wall time when other processes share the cores)."""
    corpus = _texts() * repeat
    clf = Classifier.load()
    clf.classify_texts(corpus[:batch])  # warm-up
    best = best_cpu = 0.0
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(corpus), batch):
            clf.classify_texts(corpus[i : i + batch])
        best = max(best, len(corpus) / (time.perf_counter() - start))
        best_cpu = max(best_cpu, len(corpus) / (time.process_time() - cpu))
    return best, len(corpus), best_cpu


def second_opinion_throughput(*, rounds: int = 2) -> tuple[float, int, float, float]:
    """Best-of-``rounds`` texts/s of the second opinion alone (the encoder) over the held-out texts the text
    model is unsure of; returns (rate, texts, rate per CPU-second, share of all texts that are unsure)."""
    corpus = _texts()
    clf = Classifier.load()
    settings = ClassifierSettings()
    verdicts = clf.classify_texts(corpus)
    unsure = [
        t
        for t, v in zip(corpus, verdicts, strict=True)
        if v.confidence < clf.auto_reply_threshold(v.category, settings)
    ]
    encoder = Encoder.load()
    best = best_cpu = 0.0
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        encoder.probabilities(unsure)
        best = max(best, len(unsure) / (time.perf_counter() - start))
        best_cpu = max(best_cpu, len(unsure) / (time.process_time() - cpu))
    return best, len(unsure), best_cpu, len(unsure) / len(corpus)


def _memory_kib() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return {k: int(fields[k].split()[0]) for k in ("VmHWM", "VmRSS")}


def _serve_once(batch: int) -> None:
    """In the child: load as the service does, classify the held-out signals, print the memory as JSON."""
    now = datetime(2025, 3, 1, tzinfo=UTC)
    loaded = _memory_kib()
    clf = Classifier.load(second_opinion=True)
    settings = ClassifierSettings()
    signals = _signals(1, now)
    for i in range(0, len(signals), batch):
        clf.classify_many([(sig, None, None) for sig in signals[i : i + batch]], now=now, settings=settings)
    print(
        json.dumps({"imports": loaded, "served": _memory_kib(), "signals": len(signals)})
    )  # the parent reads it


def peak_rss_with_second_opinion(*, batch: int = 100) -> tuple[float, float, float, int]:
    """Peak and final RSS (MB) of a fresh process that loads the classifier with the second opinion and
    serves the held-out signals through ``classify_many()``, and its RSS after the imports alone."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.classifier_bench", "--serve-once", str(batch)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    got = json.loads(out.splitlines()[-1])
    return (
        got["served"]["VmHWM"] / 1024,
        got["served"]["VmRSS"] / 1024,
        got["imports"]["VmRSS"] / 1024,
        got["signals"],
    )


def main(argv: list[str] | None = None) -> None:
    """Print the measured rate and its ratio to the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=60, help="copies of the held-out set")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--signal-batch", type=int, default=100, help="signals per classify_many() call")
    parser.add_argument("--serve-once", type=int, metavar="BATCH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_once:
        _serve_once(args.serve_once)
        return
    rate, n, rate_cpu = classify_texts_throughput(repeat=args.repeat, batch=args.batch, rounds=args.rounds)
    print(
        f"classifier classify_texts: {rate:,.0f} texts/s ({n} texts, batch {args.batch}, best of {args.rounds}"
        f"; {rate_cpu:,.0f} per CPU-second)"
    )
    print(f"classifier ratio to target {TARGET_TEXTS_PER_S:,.0f} texts/s: {rate / TARGET_TEXTS_PER_S:.2f}")
    full, m, full_cpu = classify_throughput(rounds=args.rounds)
    print(
        f"classifier classify() with explanations: {full:,.0f} signals/s ({m} signals, best of {args.rounds}"
        f"; {full_cpu:,.0f} per CPU-second), ratio to classify_texts {full / rate:.2f}"
        f" (CPU time: {full_cpu / rate_cpu:.2f})"
    )
    print(
        f"classifier ratio to target {TARGET_SIGNALS_PER_S:,.0f} signals/s: {full / TARGET_SIGNALS_PER_S:.2f}"
    )
    many, m, many_cpu = classify_throughput(rounds=args.rounds, batch=args.signal_batch)
    print(
        f"classifier classify_many() with explanations: {many:,.0f} signals/s ({m} signals, batch "
        f"{args.signal_batch}, best of {args.rounds}; {many_cpu:,.0f} per CPU-second), ratio to "
        f"classify_texts {many / rate:.2f} (CPU time: {many_cpu / rate_cpu:.2f})"
    )
    print(
        f"classifier ratio to target {TARGET_SIGNALS_PER_S:,.0f} signals/s: {many / TARGET_SIGNALS_PER_S:.2f}"
    )
    second, k, second_cpu, share = second_opinion_throughput()
    print(
        f"classifier second opinion (encoder, only below the thresholds): {second:,.1f} texts/s ({k} texts, "
        f"{share:.0%} of the held-out texts; {second_cpu:,.1f} per CPU-second)"
    )
    served, m, served_cpu = classify_throughput(
        repeat=1, rounds=1, batch=args.signal_batch, second_opinion=True
    )
    print(
        f"classifier classify_many() with the second opinion (as the service runs): {served:,.0f} signals/s "
        f"({m} signals, batch {args.signal_batch}; {served_cpu:,.0f} per CPU-second)"
    )

    peak, final, imports, m = peak_rss_with_second_opinion(batch=args.signal_batch)
    print(
        f"classifier process with the second opinion: peak RSS {peak:.0f} MB, {final:.0f} MB after {m} signals"
        f" ({imports:.0f} MB after the imports alone; issue 14 asks <= 250 MB)"
    )


if __name__ == "__main__":
    main()
