"""A finished report: download it, publish its events, record the fetch.

Returns and feedback reports give one event per row; the account health report one per marketplace.

Idempotent at every step: the ``ingest_report_fetches`` row says whether a report is done, an advisory
lock keeps two replicas (or the notification and the backfill poller) from working on it at once, and
the rows' dedup keys keep a re-run from publishing a row twice. A row that does not parse goes to the
rejected topic with its reason; the other rows flow.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from services.ingest import repository
from services.ingest.deps import IngestDeps
from services.ingest.parse import SUPPORTED_REPORT_TYPES, ReportReady, RowError, parse_report
from services.ingest.parse.account_health import ACCOUNT_HEALTH, parse_account_health
from services.ingest.publisher import PublishResult, publish_new
from services.ingest.rejects import reject
from shared.db.session import unit_of_work
from shared.errors import ValidationError
from shared.events import EventBase
from shared.spapi.errors import SpApiPermanentError
from shared.tracing import carry, carrying, correlation_of, end_all, root_spans

__all__ = ["WANTED_REPORT_TYPES", "ReportOutcome", "process_report"]

log = logging.getLogger(__name__)

WANTED_REPORT_TYPES = frozenset((*SUPPORTED_REPORT_TYPES, ACCOUNT_HEALTH))
Status = Literal["done", "failed", "cancelled", "already", "busy", "ignored"]


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What happened to one report."""

    report_id: str
    status: Status
    published: int = 0
    duplicates: int = 0
    rejected_rows: int = 0
    error: str | None = None


def _lock_name(report_id: str) -> str:
    return f"ingest:report:{report_id}"


async def process_report(ready: ReportReady, *, deps: IngestDeps) -> ReportOutcome:
    """Process a report that finished (DONE, CANCELLED or FATAL); RetryableError when Amazon or Kafka fail."""
    if ready.report_type not in WANTED_REPORT_TYPES:
        return ReportOutcome(ready.report_id, "ignored")
    async with unit_of_work(deps.db) as session:
        # Track it first, so the backfill poller finishes it if this attempt dies half-way.
        await repository.report_requested(
            session,
            report_id=ready.report_id,
            seller_id=ready.seller_id,
            report_type=ready.report_type,
            data_end_time=None,
        )
    async with unit_of_work(deps.db) as session:
        if not await repository.try_lock(session, _lock_name(ready.report_id)):
            return ReportOutcome(ready.report_id, "busy")
        found = await repository.report_fetch(session, ready.report_id)
        if found is not None and found.status != "requested":
            return ReportOutcome(ready.report_id, "already")
        outcome = await _process_locked(ready, deps=deps)
        await repository.finish_report(
            session,
            report_id=ready.report_id,
            seller_id=ready.seller_id,
            report_type=ready.report_type,
            status=outcome.status,
            rows=outcome.published + outcome.duplicates if outcome.status == "done" else None,
            error=outcome.error,
        )
    log.info(
        "report.processed",
        extra={
            "report_id": ready.report_id,
            "report_type": ready.report_type,
            "seller_id": ready.seller_id,
            "status": outcome.status,
            "published": outcome.published,
            "duplicates": outcome.duplicates,
            "rejected_rows": outcome.rejected_rows,
        },
    )
    return outcome


async def _process_locked(ready: ReportReady, *, deps: IngestDeps) -> ReportOutcome:
    if ready.processing_status == "CANCELLED":
        # Amazon cancels a report that has no data: nothing to publish.
        return ReportOutcome(ready.report_id, "cancelled")
    if ready.processing_status != "DONE":
        return _failed(ready.report_id, f"processing status {ready.processing_status}")
    api = deps.reports_api
    if api is None:
        return _failed(ready.report_id, "no SP-API client configured")
    marketplace = deps.marketplaces_of(ready.seller_id)[0]
    try:
        report = await api.get_report(ready.seller_id, ready.report_id, marketplace_id=marketplace)
        document_id = ready.report_document_id or report.report_document_id
        if document_id is None:
            return _failed(ready.report_id, "report has no document")
        data = await api.download_report(ready.seller_id, document_id, marketplace_id=marketplace)
    except SpApiPermanentError as exc:
        return _failed(ready.report_id, f"SP-API: {exc}")
    report_marketplace = report.marketplace_ids[0] if report.marketplace_ids else marketplace
    correlation_id = f"report:{ready.report_id}"
    headers = {
        "report.id": ready.report_id,
        "report.type": ready.report_type,
        "report.seller": ready.seller_id,
    }
    events: tuple[EventBase, ...]
    errors: tuple[RowError, ...] = ()
    try:
        if ready.report_type == ACCOUNT_HEALTH:
            events = parse_account_health(
                data,
                seller_id=ready.seller_id,
                received_at=datetime.now(UTC),
                correlation_id=correlation_id,
                report_id=ready.report_id,
            )
        else:
            parsed = parse_report(
                data,
                report_type=ready.report_type,
                seller_id=ready.seller_id,
                received_at=datetime.now(UTC),
                correlation_id=correlation_id,
                marketplace_id=report_marketplace,
            )
            events, errors = parsed.events, parsed.errors
    except ValidationError as exc:
        await reject(
            deps.producer, body=data, error=exc, source="report", headers=headers, topic=deps.rejected_topic
        )
        return _failed(ready.report_id, str(exc))
    result = await _publish_rows(events, report_id=ready.report_id, deps=deps)
    for row in errors:
        await reject(
            deps.producer,
            body=_row_body(ready, row),
            error=ValidationError(row.reason),
            source="report",
            headers={**headers, "report.row": str(row.row_number)},
            topic=deps.rejected_topic,
        )
    return ReportOutcome(ready.report_id, "done", len(result.published), len(result.skipped), len(errors))


async def _publish_rows(events: Sequence[EventBase], *, report_id: str, deps: IngestDeps) -> PublishResult:
    """Publish a report's events, each row the root of its own trace (its id is the row's correlation id)."""
    spans = root_spans(
        "ingest report row", [{"ingest.source": "report", "report.id": report_id}] * len(events)
    )
    traced = [
        event.model_copy(update={"correlation_id": correlation_of(span, event.correlation_id)})
        for event, span in zip(events, spans, strict=True)
    ]
    error: BaseException | None = None
    try:
        with carrying():
            for event, span in zip(traced, spans, strict=True):
                carry(event.correlation_id, span)
            return await publish_new(traced, db=deps.db, producer=deps.producer, topic=deps.events_topic)
    except BaseException as exc:
        error = exc
        raise
    finally:
        end_all(spans, error)


def _failed(report_id: str, error: str) -> ReportOutcome:
    return ReportOutcome(report_id, "failed", error=error[:1000])


def _row_body(ready: ReportReady, row: RowError) -> bytes:
    doc = {
        "report_id": ready.report_id,
        "report_type": row.report_type,
        "seller_id": ready.seller_id,
        "row_number": row.row_number,
        "row": dict(row.row),
    }
    return json.dumps(doc, ensure_ascii=False).encode()
