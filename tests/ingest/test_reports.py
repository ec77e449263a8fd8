"""Reports through the SP-API stand-in: REPORT_PROCESSING_FINISHED over SQS, and the scheduled backfill."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from services.ingest import repository
from services.ingest.backfill import BACKFILL_REPORT_TYPES, poll_pending, request_due_reports, run_backfill
from services.ingest.parse.reports import FEEDBACK, MFN_RETURNS_FLAT
from services.ingest.sqs import SqsPoller
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event
from shared.events import ComplaintSignalReceived, NotificationReceived, SignalKind
from shared.settings import TracingSettings
from shared.spapi import SpApiClient
from shared.stack.spapi_standin import StandinHandle
from shared.tracing import configure_tracing
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import SELLER, feedback_report, report_finished, returns_report
from tests.ingest.support import CODEC, DepsFactory, Topics, eventually, ingest_settings, queue_empty

if TYPE_CHECKING:
    from types_aiobotocore_sqs.client import SQSClient

pytestmark = pytest.mark.integration

US = "ATVPDKIKX0DER"


async def _status(db: Database, report_id: str) -> tuple[str, int | None] | None:
    async with unit_of_work(db) as session:
        found = await repository.report_fetch(session, report_id)
        return (found.status, found.rows) if found is not None else None


@pytest.mark.parametrize("gzip", [False, True])
@pytest.mark.usefixtures("isolated_tracing")  # configures the process's tracing: not for later tests
async def test_report_finished_publishes_one_event_per_row_and_rejects_bad_rows(
    gzip: bool,
    standin: StandinHandle,
    spapi: SpApiClient,
    sqs: SQSClient,
    queue_url: str,
    make_deps: DepsFactory,
    fresh_ingest_db: Database,
    topics: Topics,
    kafka_bootstrap: str,
) -> None:
    content = returns_report(
        ("111-0000001-0000001", "RMA1", "1"),
        ("111-0000002-0000002", "RMA2", "1"),
        ("111-0000003-0000003", "RMA3", "x"),
    )
    standin.state.set_report(SELLER, MFN_RETURNS_FLAT, content, gzip=gzip)
    report = standin.state.reports.create(
        seller_id=SELLER,
        report_type=MFN_RETURNS_FLAT,
        marketplace_ids=[US],
        data_start_time=None,
        data_end_time=None,
    )
    body = json.dumps(report_finished(report.report_id, MFN_RETURNS_FLAT, report.document_id))
    for _ in range(2):  # SQS delivers at least once
        await sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    poller = SqsPoller(
        sqs,
        queue_url,
        deps=make_deps(db=fresh_ingest_db, settings=ingest_settings([queue_url]), reports_api=spapi),
    )
    configure_tracing("ingest", TracingSettings(), instrument=False)  # as the service does (exporter off)

    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    await eventually(lambda: queue_empty(sqs, queue_url))
    stop.set()
    await task

    records = await read_all(kafka_bootstrap, topics.events)
    events = [decode_amazon_event(record.value, codec=CODEC) for record in records]
    assert Counter(type(event).__name__ for event in events) == {
        "NotificationReceived": 1,
        "ComplaintSignalReceived": 2,
    }
    # The notification and each row are the roots of their own traces; the trace id is the correlation id.
    traces = [(header(record, "traceparent") or "").split("-")[1] for record in records]
    assert traces == [event.correlation_id for event in events]
    assert len(set(traces)) == 3
    rows = [event for event in events if isinstance(event, ComplaintSignalReceived)]
    assert sorted(event.order_id or "" for event in rows) == ["111-0000001-0000001", "111-0000002-0000002"]
    assert all(event.kind is SignalKind.RETURN_REPORT_ROW for event in rows)
    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert len(rejected) == 1
    assert header(rejected[0], "report.id") == report.report_id
    assert header(rejected[0], "report.row") == "4"
    assert "quantity" in (header(rejected[0], "dlq.reason") or "")
    assert b"111-0000003-0000003" not in rejected[0].value  # the raw row travels sealed
    assert json.loads(CODEC.unseal_raw(rejected[0].value))["row"]["orderid"] == "111-0000003-0000003"
    assert await _status(fresh_ingest_db, report.report_id) == ("done", 2)
    downloads = [r for r in standin.state.requests if r.operation == "getReportDocument"]
    assert len(downloads) == 1


async def test_backfill_requests_each_report_once_per_period_and_processes_them(
    standin: StandinHandle,
    spapi: SpApiClient,
    make_deps: DepsFactory,
    fresh_ingest_db: Database,
    topics: Topics,
    kafka_bootstrap: str,
) -> None:
    standin.state.set_report(SELLER, MFN_RETURNS_FLAT, returns_report(("111-0000001-0000001", "RMA1", "1")))
    standin.state.set_report(
        SELLER, FEEDBACK, feedback_report("111-0000009-0000009"), gzip=True, polls_until_done=2
    )
    settings = ingest_settings(report_backfill_hours=6, report_marketplace_ids={SELLER: [US]})
    deps = make_deps(db=fresh_ingest_db, settings=settings, reports_api=spapi)
    now = datetime.now(UTC)

    # The second seller never authorized the app: refused once per period, not on every round.
    sellers = [SELLER, "A3NOTAUTHORIZED"]
    created = await request_due_reports(deps=deps, sellers=sellers, now=now)
    not_due = await request_due_reports(deps=deps, sellers=sellers, now=now + timedelta(hours=5))

    assert len(created) == len(BACKFILL_REPORT_TYPES)
    assert not_due == []
    requested = [report for report in standin.state.reports.reports.values() if report.seller_id == SELLER]
    assert sorted(report.report_type for report in requested) == sorted(BACKFILL_REPORT_TYPES)
    assert all(report.data_end_time - report.data_start_time == timedelta(days=30) for report in requested)

    first = await poll_pending(deps=deps, now=now)
    assert first.waiting == 1  # the feedback report is still being prepared
    second = await poll_pending(deps=deps, now=now)
    third = await poll_pending(deps=deps, now=now)
    assert (second.waiting, third.waiting) == (1, 0)

    events = [
        decode_amazon_event(record.value, codec=CODEC)
        for record in await read_all(kafka_bootstrap, topics.events)
    ]
    assert sorted((e.kind, e.order_id) for e in events if isinstance(e, ComplaintSignalReceived)) == [
        (SignalKind.FEEDBACK_REPORT_ROW, "111-0000009-0000009"),
        (SignalKind.RETURN_REPORT_ROW, "111-0000001-0000001"),
    ]
    assert not [e for e in events if isinstance(e, NotificationReceived)]
    statuses = {report.report_type: await _status(fresh_ingest_db, report.report_id) for report in requested}
    assert statuses == {
        MFN_RETURNS_FLAT: ("done", 1),
        FEEDBACK: ("done", 1),
        # Amazon cancels a report that has no data; the stand-in has none seeded for these two.
        **{t: ("cancelled", None) for t in BACKFILL_REPORT_TYPES if t not in (MFN_RETURNS_FLAT, FEEDBACK)},
    }
    later = await request_due_reports(deps=deps, sellers=sellers, now=now + timedelta(hours=7))
    assert len(later) == len(BACKFILL_REPORT_TYPES)
    assert {r.seller_id for r in standin.state.reports.reports.values()} == {SELLER}


async def test_backfill_loop_requests_polls_and_stops(
    standin: StandinHandle, spapi: SpApiClient, make_deps: DepsFactory, fresh_ingest_db: Database
) -> None:
    standin.state.set_report(SELLER, FEEDBACK, feedback_report("111-0000009-0000009"), polls_until_done=1)
    settings = ingest_settings(
        report_backfill_hours=6, report_check_interval_s=0.1, report_poll_interval_s=0.1
    )
    deps = make_deps(db=fresh_ingest_db, settings=settings, reports_api=spapi)
    stop = asyncio.Event()

    task = asyncio.create_task(run_backfill(stop, deps=deps, sellers=[SELLER]))

    async def all_finished() -> bool:
        reports = list(standin.state.reports.reports.values())
        statuses = [await _status(fresh_ingest_db, report.report_id) for report in reports]
        return len(reports) == len(BACKFILL_REPORT_TYPES) and all(s and s[0] != "requested" for s in statuses)

    await eventually(all_finished)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(standin.state.reports.reports) == len(BACKFILL_REPORT_TYPES)
