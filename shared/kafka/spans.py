"""The consumer loop's spans: a process span per record continuing its trace, and a batch span linking them.

Records are read through the loop's ``Record`` protocol: topic, partition, offset and headers
(``traceparent``, ``correlation_id``); nothing of the value is looked at.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.context import Context

from shared.logging import JOURNEY
from shared.tracing import TRACEPARENT, carry, carrying, end_all, links, parent_context, process_spans, tracer

if TYPE_CHECKING:
    from shared.kafka.consumer import Record

__all__ = ["process_spans_of"]


def _header(record: Record, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace") if value is not None else None
    return None


@contextlib.contextmanager
def process_spans_of(group: str, records: Sequence[Record]) -> Iterator[None]:
    """A process span per record continuing its trace (``traceparent`` header); a batch of several gets a
    span of its own that links them. What the handler publishes or queues for a record continues the
    record's span (carried by correlation id)."""
    topic = records[0].topic
    spans = process_spans(
        f"{topic} process",
        [parent_context(_header(r, TRACEPARENT)) for r in records],
        [
            {
                "messaging.system": "kafka",
                "messaging.destination.name": r.topic,
                "messaging.destination.partition.id": str(r.partition),
                "messaging.kafka.offset": r.offset,
                "messaging.consumer.group.name": group,
            }
            for r in records
        ],
    )
    current = spans[0]
    if len(spans) > 1:
        current = tracer().start_span(
            f"{topic} process batch",
            context=Context(),
            kind=trace.SpanKind.CONSUMER,
            links=links(spans),
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.consumer.group.name": group,
                "messaging.batch.message_count": len(records),
            },
        )
    error: BaseException | None = None
    with carrying():
        for record, span in zip(records, spans, strict=True):
            cid = _header(record, "correlation_id")
            if cid:
                carry(cid, span)
        try:
            with trace.use_span(
                current, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            if JOURNEY.isEnabledFor(logging.INFO):
                _journey(group, records, spans, error)
            end_all(spans if current is spans[0] and len(spans) == 1 else [*spans, current], error)


def _journey(
    group: str, records: Sequence[Record], spans: Sequence[trace.Span], error: BaseException | None
) -> None:
    for record, span in zip(records, spans, strict=True):
        with trace.use_span(span, end_on_exit=False):
            JOURNEY.info(
                "journey.consumed",
                extra={
                    "group": group,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "error": type(error).__name__ if error else None,
                },
            )
