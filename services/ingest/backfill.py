"""Scheduled reports backfill: request the returns, feedback and account health reports per seller, poll,
then process.

Reports arrive without any notification subscription this way, and a REPORT_PROCESSING_FINISHED that was
lost is covered by the poller. Every seller with a refresh token is included. createReport is paced by the
SP-API client's token bucket (0.0167/s, burst 15 per seller), and an advisory lock per seller and report type
keeps replicas from requesting the same report twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.ingest import repository
from services.ingest.deps import IngestDeps
from services.ingest.handlers import failure_fields
from services.ingest.parse import SUPPORTED_REPORT_TYPES, ReportReady
from services.ingest.parse.account_health import ACCOUNT_HEALTH
from services.ingest.reports import ReportOutcome, process_report
from shared.db.session import unit_of_work
from shared.spapi.errors import SpApiPermanentError

__all__ = ["BACKFILL_REPORT_TYPES", "PollResult", "poll_pending", "request_due_reports", "run_backfill"]

log = logging.getLogger(__name__)

BACKFILL_REPORT_TYPES: tuple[str, ...] = (*SUPPORTED_REPORT_TYPES, ACCOUNT_HEALTH)
# Amazon keeps a report IN_QUEUE for hours at busy times; after this long it is given up (the next
# backfill window covers the same days again).
_GIVE_UP_AFTER = timedelta(hours=24)


async def request_due_reports(*, deps: IngestDeps, sellers: Iterable[str], now: datetime) -> list[str]:
    """createReport for every seller and type not requested within the backfill period; the new ids."""
    api = deps.reports_api
    if api is None:
        return []
    period = timedelta(hours=deps.settings.report_backfill_hours)
    window = timedelta(days=deps.settings.report_backfill_days)
    created: list[str] = []
    for seller_id in sellers:
        for report_type in BACKFILL_REPORT_TYPES:
            async with unit_of_work(deps.db) as session:
                if not await repository.try_lock(session, f"ingest:backfill:{seller_id}:{report_type}"):
                    continue
                last = await repository.last_requested(session, seller_id=seller_id, report_type=report_type)
                if last is not None and now - last < period:
                    continue
                try:
                    report_id = await api.create_report(
                        seller_id,
                        report_type,
                        deps.marketplaces_of(seller_id),
                        data_start_time=now - window,
                        data_end_time=now,
                    )
                except SpApiPermanentError as exc:
                    # Recorded like a request, so a refusal (revoked authorization, missing role) is retried
                    # next period, not every round.
                    await repository.finish_report(
                        session,
                        report_id=f"refused:{uuid.uuid4().hex}",
                        seller_id=seller_id,
                        report_type=report_type,
                        status="failed",
                        error=f"createReport: {exc}"[:1000],
                    )
                    log.warning(
                        "report.request_refused",
                        extra={"seller_id": seller_id, "report_type": report_type, "error": exc.code},
                    )
                    continue
                await repository.report_requested(
                    session,
                    report_id=report_id,
                    seller_id=seller_id,
                    report_type=report_type,
                    data_end_time=now,
                )
            created.append(report_id)
            log.info(
                "report.requested",
                extra={"seller_id": seller_id, "report_type": report_type, "report_id": report_id},
            )
    return created


@dataclass(frozen=True, slots=True)
class PollResult:
    """Reports processed in this round and how many are still being prepared by Amazon."""

    outcomes: tuple[ReportOutcome, ...]
    waiting: int


async def _give_up(deps: IngestDeps, fetch: tuple[str, str, str], reason: str) -> None:
    report_id, seller_id, report_type = fetch
    async with unit_of_work(deps.db) as session:
        await repository.finish_report(
            session,
            report_id=report_id,
            seller_id=seller_id,
            report_type=report_type,
            status="failed",
            error=reason[:1000],
        )


async def poll_pending(*, deps: IngestDeps, now: datetime) -> PollResult:
    """getReport for every report still ``requested``; process the finished ones."""
    api = deps.reports_api
    if api is None:
        return PollResult((), 0)
    async with unit_of_work(deps.db) as session:
        pending = [
            (fetch.report_id, fetch.seller_id, fetch.report_type, fetch.requested_at)
            for fetch in await repository.pending_reports(session)
        ]
    outcomes: list[ReportOutcome] = []
    waiting = 0
    for report_id, seller_id, report_type, requested_at in pending:
        key = (report_id, seller_id, report_type)
        try:
            report = await api.get_report(
                seller_id, report_id, marketplace_id=deps.marketplaces_of(seller_id)[0]
            )
        except SpApiPermanentError as exc:
            await _give_up(deps, key, f"getReport: {exc}")
            continue
        if not report.finished:
            if now - requested_at > _GIVE_UP_AFTER:
                await _give_up(deps, key, f"still {report.processing_status} after {_GIVE_UP_AFTER}")
            else:
                waiting += 1
            continue
        ready = ReportReady(
            seller_id=seller_id,
            report_type=report_type,
            report_id=report_id,
            report_document_id=report.report_document_id,
            processing_status=report.processing_status,
        )
        outcomes.append(await process_report(ready, deps=deps))
    return PollResult(tuple(outcomes), waiting)


async def run_backfill(stop: asyncio.Event, *, deps: IngestDeps, sellers: Iterable[str]) -> None:
    """Request due reports (unless the period is 0) and poll pending ones until ``stop``.

    Polling runs even without scheduled requests: it finishes reports a notification started and a crash
    interrupted. A failed round is retried the next one.
    """
    sellers = tuple(sellers)
    settings = deps.settings
    if deps.reports_api is None:
        log.info("report.backfill_disabled")
        return
    while not stop.is_set():
        now = datetime.now(UTC)
        waiting = 0
        try:
            if settings.report_backfill_hours > 0:
                await request_due_reports(deps=deps, sellers=sellers, now=now)
            waiting = (await poll_pending(deps=deps, now=now)).waiting
        except Exception as exc:  # noqa: BLE001  # the loop outlives one bad round; state is in the database
            log.error("report.backfill_failed", extra=failure_fields(exc))
        delay = settings.report_check_interval_s
        if waiting:
            delay = min(settings.report_poll_interval_s, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
