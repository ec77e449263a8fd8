"""CPU cost of the tracing machinery per complaint, in the three modes a service can run in.

Run: ``.venv/bin/python -m bench.tracing_overhead``. Each mode runs in its own process (the tracer provider is
global): ``none`` (no provider: the API's no-op path, as before tracing), ``off`` (the default: the SDK with
ALWAYS_OFF, ids still made for logs and headers) and ``on`` (recording, a batch processor with an exporter
that drops what it gets, as OTLP does minus the network). Per complaint it does what the classifier and the
responder do: the consumer loop's process spans for a batch of 100 records (and the batch span), the Kafka
headers of the event published for each, and one JSON log line under the span. Prints CPU µs per complaint
(process time, so other load on the machine barely matters). A service passes this path twice per complaint
(classifier, responder).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["main", "measure"]

_BATCH = 100


@dataclass(frozen=True, slots=True)
class _Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    timestamp: int = 0


_ROUNDS = 60


def _setup(mode: str) -> None:
    if mode == "none":
        return
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from shared.settings import TracingSettings
    from shared.tracing import configure_tracing

    class _Drop(SpanExporter):
        def export(self, spans: Sequence[object]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    processor = BatchSpanProcessor(_Drop()) if mode == "on" else None
    configure_tracing("bench", TracingSettings(), processor=processor, instrument=False)


def measure(mode: str) -> float:
    """CPU µs per complaint of the tracing path in ``mode``."""
    _setup(mode)
    from shared.kafka.producer import event_headers
    from shared.kafka.spans import process_spans_of
    from shared.logging import JsonFormatter
    from tests.classifier.helpers import signal

    events = [signal(f"where is my parcel {i}", correlation_id=f"{i:032x}") for i in range(_BATCH)]
    records = [
        _Record("amazon.events.v1", 0, i, None, None, event_headers(event)) for i, event in enumerate(events)
    ]
    formatter = JsonFormatter()
    log_record = logging.LogRecord("bench", logging.INFO, "", 0, "classifier.done", (), None)

    def one_round() -> None:
        with process_spans_of("classifier", records):
            for event in events:
                event_headers(event)
                formatter.format(log_record)

    for _ in range(5):
        one_round()
    started = time.process_time()
    for _ in range(_ROUNDS):
        one_round()
    return (time.process_time() - started) / (_ROUNDS * _BATCH) * 1e6


def main() -> None:
    """Print each mode's cost, measured in a fresh process."""
    if len(sys.argv) > 1:
        mode = sys.argv[1]
        print(json.dumps({"mode": mode, "us": measure(mode)}))
        return
    results = {}
    for mode in ("none", "off", "on"):
        out = subprocess.run(
            [sys.executable, "-m", "bench.tracing_overhead", mode], capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])["us"]
    base = results["none"]
    for mode in ("none", "off", "on"):
        print(
            f"tracing {mode:<4}: {results[mode]:7.1f} CPU µs per complaint (+{results[mode] - base:5.1f} vs none)"
        )


if __name__ == "__main__":
    main()
