"""The account-health part of GET /v1/stats: Amazon's series, our estimate beside it, warnings, ASIN spikes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.schemas.health import (
    AccountHealthOut,
    AmazonFiguresOut,
    AsinSpikeOut,
    OdrEstimateOut,
    OdrFiguresOut,
    OdrWarningOut,
    SpikeReasonOut,
)
from services.responder.health import repository as repo
from services.responder.health.estimate import ODR_WINDOW, OdrEstimate, odr_warnings
from services.responder.health.tables import AccountHealthRow

__all__ = ["account_health", "asin_spikes"]

Key = tuple[str, str]


def _figures(row: AccountHealthRow) -> AmazonFiguresOut:
    return AmazonFiguresOut(
        reported_at=row.reported_at,
        report_id=row.report_id,
        account_status=row.account_status,
        account_health_rating=row.account_health_rating,
        order_defect_rates=[OdrFiguresOut.model_validate(f) for f in row.order_defect_rates],
        late_shipment_rate=row.late_shipment_rate,
        pre_fulfillment_cancellation_rate=row.pre_fulfillment_cancellation_rate,
        valid_tracking_rate=row.valid_tracking_rate,
        on_time_delivery_rate=row.on_time_delivery_rate,
        policy_violations=row.policy_violations,
        warnings=list(row.warnings),
    )


def _amazon(latest: AmazonFiguresOut | None, channel: str) -> OdrFiguresOut | None:
    if latest is None:
        return None
    return next((f for f in latest.order_defect_rates if f.fulfillment == channel), None)


def _estimate(
    counts: repo.EstimateCounts, latest: AmazonFiguresOut | None, *, start: datetime, end: datetime
) -> tuple[OdrEstimateOut, list[OdrWarningOut]]:
    ours = OdrEstimate(counts.orders, counts.negative_feedback, counts.a_to_z_claims, counts.defective_orders)
    amazon = _amazon(latest, counts.channel)
    channel: Any = counts.channel
    out = OdrEstimateOut(
        fulfillment=channel,
        window_start=start,
        window_end=end,
        orders=ours.orders,
        negative_feedback=ours.negative_feedback,
        a_to_z_claims=ours.a_to_z_claims,
        defective_orders=ours.defective_orders,
        odr=ours.odr,
        negative_feedback_rate=ours.negative_feedback_rate,
        amazon_odr=amazon.rate if amazon else None,
        amazon_negative_feedback_rate=(
            amazon.negative_feedback / amazon.order_count if amazon and amazon.order_count else None
        ),
    )
    warnings = [
        OdrWarningOut(fulfillment=channel, threshold=w.threshold, estimate=w.estimate, amazon=w.amazon)
        for w in odr_warnings(ours, amazon_rate=amazon.rate if amazon else None)
    ]
    return out, warnings


async def account_health(
    session: AsyncSession,
    *,
    sellers: Sequence[str],
    marketplaces: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[AccountHealthOut]:
    """Per seller and marketplace: Amazon's last figures and series, our estimate and its warnings."""
    scope: dict[str, Any] = {"sellers": sellers, "marketplaces": marketplaces}
    latest = {
        (r.seller_id, r.marketplace_id): _figures(r)
        for r in await repo.latest_reports(session, **scope, before=end)
    }
    series: dict[Key, list[AmazonFiguresOut]] = defaultdict(list)
    for row in await repo.reports_in_range(session, **scope, start=start, end=end):
        series[(row.seller_id, row.marketplace_id)].append(_figures(row))
    window_start = end - ODR_WINDOW
    estimates: dict[Key, list[OdrEstimateOut]] = defaultdict(list)
    warnings: dict[Key, list[OdrWarningOut]] = defaultdict(list)
    for counts in await repo.estimate_counts(session, **scope, start=window_start, end=end):
        key = (counts.seller_id, counts.marketplace_id)
        estimate, raised = _estimate(counts, latest.get(key), start=window_start, end=end)
        estimates[key].append(estimate)
        warnings[key].extend(raised)
    return [
        AccountHealthOut(
            seller_id=seller,
            marketplace_id=market,
            latest=latest.get((seller, market)),
            series=series.get((seller, market), []),
            estimate=estimates.get((seller, market), []),
            warnings=warnings.get((seller, market), []),
        )
        for seller, market in sorted({*latest, *series, *estimates})
    ]


async def asin_spikes(
    session: AsyncSession,
    *,
    sellers: Sequence[str],
    marketplaces: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[AsinSpikeOut]:
    """Complaint spikes of the range, newest day first."""
    rows = await repo.spikes_in_range(
        session, sellers=sellers, marketplaces=marketplaces, start=start, end=end
    )
    return [
        AsinSpikeOut(
            seller_id=r.seller_id,
            marketplace_id=r.marketplace_id,
            asin=r.asin,
            day=r.day,
            complaints=r.complaints,
            baseline_per_day=r.baseline_per_day,
            p_value=r.p_value,
            top_reasons=[SpikeReasonOut.model_validate(x) for x in r.top_reasons],
            example_ticket_ids=[uuid.UUID(i) for i in r.example_ticket_ids],
        )
        for r in rows
    ]
