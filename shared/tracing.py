"""Traces with OpenTelemetry: one trace per complaint, from ingest through Kafka to the outbox send.

The trace id is the correlation id. Ingest starts one root span per input (SQS message, mail, report row)
and gives its events the root's trace id as ``correlation_id``; every Kafka record carries a W3C
``traceparent`` header (``shared.kafka.producer``); the consumer loop continues the record's trace with a
process span around the handler (``shared.kafka.consumer``) and the outbox row keeps the traceparent its send
span continues (``services.responder.outbox.sender``).

A batch handler serves many traces at once: the spans of the records in hand are *carried* by correlation id
(``carrying``/``carry``) so an event published or a row queued for one record continues that record's trace,
not the batch's.

Exporting is off by default: spans are then never recorded (``ALWAYS_OFF``) and the libraries are not
instrumented, so the cost is an id and a context switch per input, but the ids still flow (logs, headers).
With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go out over OTLP/HTTP and FastAPI, httpx and asyncpg are
instrumented. Span attributes hold ids only (topic, partition, offset, seller, ticket), never buyer data.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from shared.settings import TracingSettings

__all__ = [
    "TRACEPARENT",
    "ScrubbingExporter",
    "carry",
    "carrying",
    "configure_tracing",
    "correlation_of",
    "end_all",
    "instrument_app",
    "links",
    "parent_context",
    "process_spans",
    "root_span",
    "root_spans",
    "scrubbed",
    "traceparent",
    "traceparent_for",
    "tracer",
]

TRACEPARENT = "traceparent"
"""The W3C header name (Kafka record header and outbox column alike)."""

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_carried: contextvars.ContextVar[dict[str, SpanContext] | None] = contextvars.ContextVar(
    "carried_spans", default=None
)
_configured: list[TracerProvider] = []


def tracer() -> trace.Tracer:
    """The project's tracer (the global provider's, or a no-op one before ``configure_tracing``)."""
    return trace.get_tracer("complaints")


def configure_tracing(
    service: str,
    settings: TracingSettings,
    *,
    processor: SpanProcessor | None = None,
    instrument: bool = True,
) -> TracerProvider:
    """Install the global tracer provider for ``service`` (once per process; later calls return the first).

    ``processor`` (tests: an in-memory exporter) records spans as an OTLP endpoint would; ``instrument=False``
    leaves the libraries (httpx, asyncpg) alone.
    """
    if _configured:
        return _configured[0]
    exporting = bool(settings.exporter_otlp_endpoint) or processor is not None
    sampler = ParentBased(TraceIdRatioBased(settings.sample_ratio)) if exporting else ALWAYS_OFF
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name or f"complaints-{service}"}),
        sampler=sampler,
    )
    if settings.exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        exporter = ScrubbingExporter(OTLPSpanExporter(endpoint=endpoint))
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if processor is not None:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    if exporting and instrument:
        _instrument_libraries(provider)
    _configured.append(provider)
    return provider


class ScrubbingExporter(SpanExporter):
    """Drops what an exception may quote before spans leave: the instrumentations record an exception's
    message and stack trace on an ``exception`` event and put ``<type>: <message>`` in the error status, and
    a database error's message can quote a buyer's text. Only the exception's type is kept."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export the scrubbed copies."""
        return self._inner.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the wrapped exporter."""
        return self._inner.force_flush(timeout_millis)


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """``span`` without exception messages and stack traces (events and status keep the type only)."""
    events = [
        Event(e.name, {k: v for k, v in (e.attributes or {}).items() if k == "exception.type"}, e.timestamp)
        if e.name == "exception"
        else e
        for e in span.events
    ]
    status = span.status
    if status.description:
        status = Status(status.status_code, status.description.split(":", 1)[0][:100])
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _instrument_libraries(provider: TracerProvider) -> None:
    """httpx (SP-API, webhooks) and asyncpg (one of asyncpg or SQLAlchemy: both would duplicate spans)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]  # unannotated __init__


def instrument_app(app: Any) -> None:
    """Server spans for a FastAPI app when exporting (probes and /metrics excluded)."""
    if not _configured or isinstance(_configured[0].sampler, type(ALWAYS_OFF)):
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_configured[0], excluded_urls="healthz,readyz,metrics"
    )


def traceparent(context: SpanContext) -> str | None:
    """The W3C ``traceparent`` of a span context, None when it is invalid."""
    if not context.is_valid:
        return None
    # Only the sampled bit: level-1 parsers of the header know no other flag.
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags & 1:02x}"


def parent_context(value: str | bytes | None) -> Context | None:
    """The remote parent a ``traceparent`` names; None for a missing, malformed or spoofed-huge value."""
    if value is None or len(value) != 55:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    match = _TRACEPARENT.fullmatch(text)
    if match is None:
        return None
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not trace_id or not span_id:
        return None
    remote = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match[3], 16) & 1))
    return trace.set_span_in_context(trace.NonRecordingSpan(remote))


def correlation_of(span: Span, fallback: str) -> str:
    """The correlation id of work under ``span``: its trace id, or ``fallback`` when tracing is not set up."""
    context = span.get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else fallback


@contextlib.contextmanager
def carrying() -> Iterator[dict[str, SpanContext]]:
    """Carry the spans of the inputs in hand (by correlation id) for the duration of the block."""
    spans: dict[str, SpanContext] = {}
    token = _carried.set(spans)
    try:
        yield spans
    finally:
        _carried.reset(token)


def carry(correlation_id: str, span: Span) -> None:
    """Make ``span`` the one events and rows of ``correlation_id`` continue (inside ``carrying``)."""
    spans = _carried.get()
    context = span.get_span_context()
    if spans is not None and context.is_valid:
        spans[correlation_id] = context


def traceparent_for(correlation_id: str) -> str | None:
    """The traceparent for an event or row of ``correlation_id``: its carried span, else the current one."""
    spans = _carried.get()
    context = spans.get(correlation_id) if spans else None
    return traceparent(context or trace.get_current_span().get_span_context())


@contextlib.contextmanager
def root_span(name: str, *, attributes: dict[str, str | int] | None = None) -> Iterator[Span]:
    """A new trace for one input (never a child of whatever span is current), made current."""
    with tracer().start_as_current_span(
        name,
        context=Context(),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,  # an exception's message may quote buyer data
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            if span.is_recording():
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def process_spans(
    name: str, parents: Sequence[Context | None], attributes: Sequence[dict[str, str | int]]
) -> list[Span]:
    """One started span per record, each the child of its record's context (ended by the caller)."""
    t = tracer()
    return [
        t.start_span(name, context=parent or Context(), kind=SpanKind.CONSUMER, attributes=attrs)
        for parent, attrs in zip(parents, attributes, strict=True)
    ]


def root_spans(name: str, attributes: Sequence[dict[str, str | int]]) -> list[Span]:
    """One started span per input, each the root of a new trace (ended by the caller)."""
    return process_spans(name, [None] * len(attributes), attributes)


def links(spans: Sequence[Span]) -> list[Link]:
    """Links to the traces of ``spans`` (a batch span's view of its records)."""
    return [Link(s.get_span_context()) for s in spans if s.get_span_context().is_valid]


def end_all(spans: Sequence[Span], error: BaseException | None) -> None:
    """End ``spans``; an error marks them failed with its type only (its message may quote buyer data)."""
    for span in spans:
        if error is not None and span.is_recording():
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
