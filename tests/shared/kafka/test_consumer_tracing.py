"""Traces through the consumer loop and the producer (in-memory exporter): a record's process span continues
the trace of its ``traceparent``, a batch span links its records, what a handler publishes for a record
continues that record's span, and log lines under a span carry its trace id as the correlation id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from shared.kafka.consumer import Record
from shared.kafka.producer import event_headers
from shared.logging import JsonFormatter
from shared.settings import TracingSettings
from shared.tracing import TRACEPARENT, ScrubbingExporter, configure_tracing, parent_context, traceparent_for
from tests.classifier.helpers import signal
from tests.shared.kafka.test_consumer_failures import TOPIC, FakeConsumer, FakeRecord, _run, _settings

TRACE_A, SPAN_A = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
TRACE_B, SPAN_B = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def spans(isolated_tracing: None) -> Iterator[InMemorySpanExporter]:
    """A tracer provider of this module's own, recording into memory (libraries not instrumented); an earlier
    test's provider (exporter off: nothing sampled) would otherwise be the process's for good."""
    exporter = InMemorySpanExporter()
    provider = configure_tracing(
        "test", TracingSettings(), processor=SimpleSpanProcessor(exporter), instrument=False
    )
    assert trace.get_tracer_provider() is provider
    yield exporter
    exporter.shutdown()


def _record(offset: int, trace_id: str, span_id: str, correlation: str) -> FakeRecord:
    headers = (
        (TRACEPARENT, f"00-{trace_id}-{span_id}-01".encode()),
        ("correlation_id", correlation.encode()),
    )
    return FakeRecord(TOPIC, 0, offset, b"k", b"{}", headers)


def _named(exporter: InMemorySpanExporter, suffix: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.endswith(suffix)]


async def test_a_batch_links_its_records_and_each_record_continues_its_trace(
    spans: InMemorySpanExporter,
) -> None:
    spans.clear()
    seen: list[tuple[str | None, str | None]] = []

    async def handler(records: Sequence[Record]) -> None:
        seen.append((traceparent_for("cid-a"), traceparent_for("cid-b")))

    consumer = FakeConsumer([_record(0, TRACE_A, SPAN_A, "cid-a"), _record(1, TRACE_B, SPAN_B, "cid-b")])
    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 2)

    records = _named(spans, f"{TOPIC} process")
    assert sorted(f"{s.context.trace_id:032x}" for s in records) == sorted([TRACE_A, TRACE_B])
    assert {f"{s.parent.span_id:016x}" for s in records if s.parent} == {SPAN_A, SPAN_B}
    (batch,) = _named(spans, "process batch")
    assert f"{batch.context.trace_id:032x}" not in (TRACE_A, TRACE_B)
    assert {f"{link.context.trace_id:032x}" for link in batch.links} == {TRACE_A, TRACE_B}
    # What the handler publishes for a record continues that record's process span, not the batch's.
    by_trace = {f"{s.context.trace_id:032x}": f"{s.context.span_id:016x}" for s in records}
    assert seen == [
        (f"00-{TRACE_A}-{by_trace[TRACE_A]}-01", f"00-{TRACE_B}-{by_trace[TRACE_B]}-01"),
    ]
    assert records[0].attributes is not None
    assert records[0].attributes["messaging.consumer.group.name"] == "g"


async def test_one_record_runs_its_handler_under_its_process_span(spans: InMemorySpanExporter) -> None:
    spans.clear()
    current: list[str] = []

    async def handler(records: Sequence[Record]) -> None:
        current.append(f"{trace.get_current_span().get_span_context().trace_id:032x}")

    consumer = FakeConsumer([_record(0, TRACE_A, SPAN_A, "cid-a")])
    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 1)
    assert current == [TRACE_A]
    assert _named(spans, "process batch") == []


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        f"00-{TRACE_A}-{SPAN_A}",  # too short
        f"00-{TRACE_A.upper()}-{SPAN_A}-01",
        f"00-{'0' * 32}-{SPAN_A}-01",  # an invalid (all-zero) trace id
        f"00-{TRACE_A}-{SPAN_A}-0\x00",
        "00-" + "a" * 10_000,
        b"\xff" * 55,
    ],
)
def test_a_malformed_or_spoofed_traceparent_starts_a_new_trace(value: str | bytes | None) -> None:
    assert parent_context(value) is None


def test_events_carry_the_traceparent_of_their_correlation_span(spans: InMemorySpanExporter) -> None:
    event = signal("hello")
    with trace.get_tracer("t").start_as_current_span("work") as span:
        headers = dict(event_headers(event))
        line = json.loads(JsonFormatter().format(logging.LogRecord("x", logging.INFO, "", 0, "e", (), None)))
    context = span.get_span_context()
    assert headers[TRACEPARENT].decode() == f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    assert line["correlation_id"] == f"{context.trace_id:032x}"


def test_exported_spans_keep_an_exception_s_type_never_its_message() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(exporter)))

    def fail() -> None:
        with provider.get_tracer("t").start_as_current_span("request") as span:
            span.set_status(Status(StatusCode.ERROR, "ValueError: jane.doe@example.com never got it"))
            raise ValueError("jane.doe@example.com never got it")

    with pytest.raises(ValueError, match="jane"):
        fail()
    (exported,) = exporter.get_finished_spans()
    texts = [exported.status.description or ""]
    for event in exported.events:
        texts += [event.name, *(str(v) for v in (event.attributes or {}).values())]
    assert not [t for t in texts if "jane" in t]
    assert "ValueError" in texts
