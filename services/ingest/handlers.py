"""One shape for every raw input (SQS message, EventBridge post, inbound mail): parse, publish, reject.

Each input ends in one verdict: ``done`` (its events are acked and recorded, the source may forget it),
``rejected`` (it is on the rejected topic with its reason, the source may forget it too) or ``retry``
(something transient failed; the source must deliver it again).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from opentelemetry import trace
from opentelemetry.trace import Span

from services.ingest.deps import IngestDeps
from services.ingest.intake import Parsed
from services.ingest.metrics import EVENTS_PUBLISHED, INPUTS
from services.ingest.publisher import publish_new
from services.ingest.rejects import reject
from services.ingest.reports import process_report
from shared.errors import PermanentError, RetryableError
from shared.logging import JOURNEY
from shared.tracing import carry, carrying, correlation_of, end_all, root_spans

__all__ = ["InboundInput", "InputResult", "ParseFn", "Verdict", "failure_fields", "handle_inputs"]

log = logging.getLogger(__name__)

Verdict = Literal["done", "rejected", "retry"]


@dataclass(frozen=True, slots=True)
class InboundInput:
    """One raw input with what a dead letter must keep about it."""

    key: str
    body: bytes
    received_at: datetime
    correlation_id: str
    source: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InputResult:
    """The verdict on one input, the ids of its events and the error behind a reject or retry."""

    verdict: Verdict
    event_ids: tuple[str, ...] = ()
    error: BaseException | None = None


ParseFn = Callable[[InboundInput], Awaitable[Parsed]]


def failure_fields(exc: BaseException) -> dict[str, str]:
    """Log keys for an unexpected failure: its type and where it happened, not its message (may hold PII)."""
    return {"error": type(exc).__name__, "trace": "".join(traceback.format_tb(exc.__traceback__, limit=-4))}


async def _parse_one(parse: ParseFn, item: InboundInput, span: Span) -> Parsed | BaseException:
    try:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            return await parse(item)
    except (PermanentError, RetryableError) as exc:
        return exc
    except Exception as exc:  # noqa: BLE001  # a parser bug must dead-letter the input, not crash-loop the service
        log.error(
            "ingest.parser_crashed", extra={"source": item.source, "key": item.key, **failure_fields(exc)}
        )
        return PermanentError(f"parser failed: {type(exc).__name__}: {exc}", code="parser_bug")


async def handle_inputs(
    items: Sequence[InboundInput], *, parse: ParseFn, deps: IngestDeps
) -> dict[str, InputResult]:
    """Parse every input, publish the new events (acked), run ready reports, dead-letter the unparsable.

    Each input is the root of a trace, whose id becomes the correlation id of its events (shared.tracing).
    """
    spans = root_spans("ingest", [_span_attributes(item) for item in items])
    items = [
        replace(item, correlation_id=correlation_of(span, item.correlation_id))
        for item, span in zip(items, spans, strict=True)
    ]
    error: BaseException | None = None
    try:
        with carrying():
            for item, span in zip(items, spans, strict=True):
                carry(item.correlation_id, span)
            results = await _handle(items, spans, parse=parse, deps=deps)
    except BaseException as exc:
        error = exc
        raise
    finally:
        for item, span in zip(items, spans, strict=True):
            if error is None and span.is_recording():
                span.set_attribute("ingest.verdict", results[item.key].verdict)
        end_all(spans, error)
    for item in items:
        INPUTS.labels(source=item.source, verdict=results[item.key].verdict).inc()
    if JOURNEY.isEnabledFor(logging.INFO):
        for item, span in zip(items, spans, strict=True):
            result = results[item.key]
            with trace.use_span(span, end_on_exit=False):
                JOURNEY.info(
                    "journey.ingested",
                    extra={"source": item.source, "verdict": result.verdict, "events": len(result.event_ids)},
                )
    return results


def _span_attributes(item: InboundInput) -> dict[str, str | int]:
    """Ids only: the source, and the SQS message id when there is one (never the body or a mail header)."""
    attributes: dict[str, str | int] = {"ingest.source": item.source}
    message_id = item.headers.get("sqs.message_id")
    if message_id:
        attributes["messaging.message.id"] = message_id[:128]
    return attributes


async def _handle(
    items: Sequence[InboundInput], spans: Sequence[Span], *, parse: ParseFn, deps: IngestDeps
) -> dict[str, InputResult]:
    parsed = await asyncio.gather(
        *(_parse_one(parse, item, span) for item, span in zip(items, spans, strict=True))
    )
    results: dict[str, InputResult] = {}
    good: list[tuple[InboundInput, Parsed, Span]] = []
    for item, outcome, span in zip(items, parsed, spans, strict=True):
        if isinstance(outcome, Parsed):
            good.append((item, outcome, span))
        elif isinstance(outcome, RetryableError):
            results[item.key] = InputResult("retry", error=outcome)
        else:
            with trace.use_span(span, end_on_exit=False):
                results[item.key] = await _reject(item, outcome, deps)
    if good:
        results.update(await _publish(good, deps))
    return results


async def _reject(item: InboundInput, error: BaseException, deps: IngestDeps) -> InputResult:
    try:
        await reject(
            deps.producer,
            body=item.body,
            error=error,
            source=item.source,
            headers=item.headers,
            key=item.key.encode(),
            topic=deps.rejected_topic,
        )
    except RetryableError as exc:
        return InputResult("retry", error=exc)
    return InputResult("rejected", error=error)


async def _publish(good: list[tuple[InboundInput, Parsed, Span]], deps: IngestDeps) -> dict[str, InputResult]:
    events = [event for _, parsed, _ in good for event in parsed.events]
    try:
        result = await publish_new(events, db=deps.db, producer=deps.producer, topic=deps.events_topic)
    except RetryableError as exc:
        log.warning("ingest.publish_failed", extra={"code": exc.code, "inputs": len(good)})
        return {item.key: InputResult("retry", error=exc) for item, _, _ in good}
    for event in result.published:
        EVENTS_PUBLISHED.labels(source=str(event.source), event_type=type(event).__name__).inc()
    out: dict[str, InputResult] = {}
    for item, parsed, span in good:
        ids = tuple(str(event.event_id) for event in parsed.events)
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            out[item.key] = await _reports(item, parsed, ids, deps)
    return out


async def _reports(item: InboundInput, parsed: Parsed, ids: tuple[str, ...], deps: IngestDeps) -> InputResult:
    for ready in parsed.reports:
        try:
            await process_report(ready, deps=deps)
        except RetryableError as exc:
            # The notification is published; the report is tracked as requested, so a redelivery or the
            # backfill poller finishes it.
            log.warning("report.retry", extra={"report_id": ready.report_id, "code": exc.code})
            return InputResult("retry", ids, exc)
    return InputResult("done", ids)
