"""ODR thresholds our running estimate crossed before Amazon's report did: once per threshold and report.

A pass computes the estimate (``services.responder.health.estimate``) for every seller with a defect in the
60-day window, compares it with Amazon's last figure of the channel, records each new warning (its key names
the threshold and the Amazon report it is ahead of, so a new report that still lags warns again), publishes
``OdrThresholdCrossed``, and commits; the loop (``health_alerts``) calls the webhook after the commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from prometheus_client import Counter

from services.responder.health import repository as repo
from services.responder.health.estimate import ODR_WINDOW, OdrEstimate, OdrWarning, amazon_rate, odr_warnings
from services.responder.health.tables import AccountHealthRow, OdrWarningRow
from services.responder.workers.alerts import Publisher
from shared.db.session import Database, unit_of_work
from shared.events import OdrThresholdCrossed, SignalSource, event_id_for
from shared.topics import HEALTH_ALERTS

__all__ = ["ODR_WARNINGS", "odr_event", "odr_warning_pass"]

log = logging.getLogger(__name__)

ODR_WARNINGS = Counter(
    "odr_warnings_total",
    "ODR thresholds our estimate crossed before Amazon's report",
    ["marketplace", "threshold"],
)


def odr_event(
    counts: repo.EstimateCounts,
    warning: OdrWarning,
    report: AccountHealthRow | None,
    *,
    start: datetime,
    now: datetime,
) -> OdrThresholdCrossed:
    """The event of one warning (pure)."""
    ahead_of = str(report.event_id) if report is not None else "none"
    dedup = f"odr:{counts.seller_id}:{counts.marketplace_id}:{counts.channel}:{warning.threshold}:{ahead_of}"
    channel: Literal["mfn", "afn"] = "afn" if counts.channel == "afn" else "mfn"
    return OdrThresholdCrossed(
        event_id=event_id_for(dedup),
        occurred_at=now,
        seller_id=counts.seller_id,
        marketplace_id=counts.marketplace_id,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.API,
        fulfillment=channel,
        threshold=warning.threshold,
        estimate=min(1.0, warning.estimate),
        amazon_rate=warning.amazon,
        amazon_reported_at=report.reported_at if report is not None else None,
        window_start=start,
        window_end=now,
        orders=counts.orders,
        defective_orders=counts.defective_orders,
    )


async def odr_warning_pass(*, db: Database, publisher: Publisher, now: datetime) -> list[OdrThresholdCrossed]:
    """One pass in one transaction; returns the warnings raised (already committed)."""
    start = now - ODR_WINDOW
    raised: list[OdrThresholdCrossed] = []
    async with unit_of_work(db) as session:
        sellers = await repo.defect_sellers(session, since=start)
        if not sellers:
            return []
        latest = {
            (r.seller_id, r.marketplace_id): r
            for r in await repo.latest_reports(session, sellers=sellers, marketplaces=(), before=now)
        }
        for counts in await repo.estimate_counts(
            session, sellers=sellers, marketplaces=(), start=start, end=now
        ):
            report = latest.get((counts.seller_id, counts.marketplace_id))
            rate = amazon_rate(report.order_defect_rates, counts.channel) if report is not None else None
            ours = OdrEstimate(
                counts.orders, counts.negative_feedback, counts.a_to_z_claims, counts.defective_orders
            )
            for warning in odr_warnings(ours, amazon_rate=rate):
                event = odr_event(counts, warning, report, start=start, now=now)
                row = OdrWarningRow(
                    alert_key=event.dedup_key,
                    seller_id=event.seller_id,
                    marketplace_id=counts.marketplace_id,
                    fulfillment=event.fulfillment,
                    threshold=event.threshold,
                    estimate=event.estimate,
                    amazon_rate=event.amazon_rate,
                )
                if await repo.add_odr_warning(session, row=row):
                    raised.append(event)
        for event in raised:
            await publisher.publish(HEALTH_ALERTS, event)
    for event in raised:
        ODR_WARNINGS.labels(event.marketplace_id or "", str(event.threshold)).inc()
        log.warning(
            "health.odr_warning",
            extra={
                "seller_id": event.seller_id,
                "threshold": event.threshold,
                "estimate": round(event.estimate, 5),
            },
        )
    return raised
