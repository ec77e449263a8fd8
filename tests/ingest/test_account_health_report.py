"""The account health report through the SP-API stand-in: served per the model, fetched, one event per market."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest import repository
from services.ingest.backfill import BACKFILL_REPORT_TYPES, poll_pending, request_due_reports
from services.ingest.parse import ReportReady
from services.ingest.parse.account_health import ACCOUNT_HEALTH
from services.ingest.reports import process_report
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event
from shared.demo.account_health import MarketplaceHealth, OdrCounts, account_health_report
from shared.events import AccountHealthReported
from shared.spapi import SpApiClient
from shared.stack.spapi_standin import StandinHandle
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import SELLER
from tests.ingest.support import CODEC, DepsFactory, Topics, ingest_settings

pytestmark = pytest.mark.integration

US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"


def _create(standin: StandinHandle) -> str:
    report = standin.state.reports.create(
        seller_id=SELLER,
        report_type=ACCOUNT_HEALTH,
        marketplace_ids=[US, CA],
        data_start_time=None,
        data_end_time=None,
    )
    return report.report_id


async def _status(db: Database, report_id: str) -> tuple[str, str | None] | None:
    async with unit_of_work(db) as session:
        found = await repository.report_fetch(session, report_id)
        return (found.status, found.error) if found is not None else None


async def test_report_on_notification_and_schedule_becomes_one_event_per_marketplace(
    standin: StandinHandle,
    spapi: SpApiClient,
    make_deps: DepsFactory,
    fresh_ingest_db: Database,
    topics: Topics,
    kafka_bootstrap: str,
) -> None:
    document = account_health_report(
        MarketplaceHealth(US, mfn=OdrCounts(orders=4000, negative_feedback=20, claims=12, chargebacks=4)),
        MarketplaceHealth(CA, status="AT_RISK", rating="WARNED"),
        end=datetime.now(UTC),
    )
    standin.state.set_report(SELLER, ACCOUNT_HEALTH, document, gzip=True)
    report_id = _create(standin)
    doc_id = standin.state.reports.reports[report_id].document_id
    settings = ingest_settings(report_backfill_hours=24, report_marketplace_ids={SELLER: [US, CA]})
    deps = make_deps(db=fresh_ingest_db, settings=settings, reports_api=spapi)
    ready = ReportReady(SELLER, ACCOUNT_HEALTH, report_id, doc_id, "DONE")

    outcome = await process_report(ready, deps=deps)
    again = await process_report(ready, deps=deps)  # the notification delivered twice
    # The schedule requests it too, once per period (the notification's fetch counts as this period's):
    # the same figures a period later publish nothing new.
    assert ACCOUNT_HEALTH in BACKFILL_REPORT_TYPES

    def health_reports(ids: list[str]) -> set[str]:
        return {i for i in ids if standin.state.reports.reports[i].report_type == ACCOUNT_HEALTH}

    assert (
        health_reports(await request_due_reports(deps=deps, sellers=[SELLER], now=datetime.now(UTC))) == set()
    )
    later = datetime.now(UTC) + timedelta(hours=25)
    created = health_reports(await request_due_reports(deps=deps, sellers=[SELLER], now=later))
    polled = await poll_pending(deps=deps, now=later)

    assert (outcome.status, outcome.published, again.status) == ("done", 2, "already")
    scheduled = [o for o in polled.outcomes if o.report_id in created and o.status == "done"]
    assert [(o.published, o.duplicates) for o in scheduled] == [(0, 2)]
    events = [
        decode_amazon_event(r.value, codec=CODEC) for r in await read_all(kafka_bootstrap, topics.events)
    ]
    health = {e.marketplace_id: e for e in events if isinstance(e, AccountHealthReported)}
    assert set(health) == {US, CA}
    mfn = health[US].order_defect_rates[0]
    assert (mfn.order_count, mfn.negative_feedback, mfn.a_to_z_claims, mfn.chargebacks) == (4000, 20, 12, 4)
    assert mfn.rate == pytest.approx(0.009)
    assert (health[CA].account_status, health[CA].account_health_rating) == ("AT_RISK", "WARNED")
    assert health[US].report_id == report_id


async def test_hostile_document_is_rejected_with_its_reason_and_kept(
    standin: StandinHandle,
    spapi: SpApiClient,
    make_deps: DepsFactory,
    ingest_db: Database,
    topics: Topics,
    kafka_bootstrap: str,
) -> None:
    doc = json.loads(account_health_report(MarketplaceHealth(US), end=datetime.now(UTC)))
    doc["performanceMetrics"][0]["orderDefectRate"]["mfn"]["rate"] = "0.5%"
    standin.state.set_report(SELLER, ACCOUNT_HEALTH, json.dumps(doc).encode() + b"\x00")
    report_id = _create(standin)
    deps = make_deps(db=ingest_db, settings=ingest_settings(), reports_api=spapi)

    outcome = await process_report(ReportReady(SELLER, ACCOUNT_HEALTH, report_id, None, "DONE"), deps=deps)

    assert outcome.status == "failed"
    status = await _status(ingest_db, report_id)
    assert status is not None
    assert status[0] == "failed"
    assert "NUL" in (status[1] or "")
    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert len(rejected) == 1
    assert header(rejected[0], "report.type") == ACCOUNT_HEALTH
    assert "NUL" in (header(rejected[0], "dlq.reason") or "")
    assert CODEC.unseal_raw(rejected[0].value).endswith(b"\x00")  # the document itself is kept
    assert await read_all(kafka_bootstrap, topics.events) == []
