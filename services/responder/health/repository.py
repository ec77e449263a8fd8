"""SQL of account health: Amazon's figures, our defect signals, the ODR estimate's counts and ASIN spikes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, text
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.health.tables import AccountHealthRow, AsinSpikeRow, DefectSignalRow, OdrWarningRow
from shared.events import AccountHealthReported

__all__ = [
    "AsinDay",
    "Defect",
    "EstimateCounts",
    "add_defects",
    "add_odr_warning",
    "add_reports",
    "add_spike",
    "asin_day_counts",
    "defect_sellers",
    "estimate_counts",
    "latest_reports",
    "reports_in_range",
    "spike_details",
    "spiked_on",
    "spikes_in_range",
]

# Bookkeeping reasons say how a verdict was reached, not what the buyer complained about (as in /v1/stats).
_NOT_A_COMPLAINT_REASON = ("language.%", "text.%", "sla.%", "priority.points", "abuse.score")


@dataclass(frozen=True, slots=True)
class Defect:
    """One order defect we saw: ``negative_feedback`` or ``a_to_z``."""

    seller_id: str
    order_id: str
    kind: str
    marketplace_id: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class EstimateCounts:
    """Orders and defective orders of one seller, marketplace and channel in a window."""

    seller_id: str
    marketplace_id: str
    channel: str
    orders: int
    negative_feedback: int
    a_to_z_claims: int
    defective_orders: int


@dataclass(frozen=True, slots=True)
class AsinDay:
    """Complaints of one ASIN on the day tested and over its baseline days."""

    seller_id: str
    marketplace_id: str
    asin: str
    today: int
    baseline: int


async def add_reports(session: AsyncSession, *, events: Sequence[AccountHealthReported]) -> None:
    """Store Amazon's figures (one row per event id; a replay adds nothing)."""
    rows = [
        {
            "event_id": e.event_id,
            "seller_id": e.seller_id,
            "marketplace_id": e.marketplace_id or "",
            "reported_at": e.occurred_at,
            "report_id": e.report_id,
            "account_status": e.account_status,
            "account_health_rating": e.account_health_rating,
            "order_defect_rates": [f.model_dump(mode="json") for f in e.order_defect_rates],
            "late_shipment_rate": e.late_shipment_rate,
            "pre_fulfillment_cancellation_rate": e.pre_fulfillment_cancellation_rate,
            "valid_tracking_rate": e.valid_tracking_rate,
            "on_time_delivery_rate": e.on_time_delivery_rate,
            "policy_violations": e.policy_violations,
            "warnings": list(e.warnings),
        }
        for e in events
    ]
    if rows:
        await session.execute(insert(AccountHealthRow).values(rows).on_conflict_do_nothing())


async def add_defects(session: AsyncSession, *, defects: Sequence[Defect]) -> None:
    """Record defects; an order keeps the first time each kind was seen."""
    rows = {
        (d.seller_id, d.order_id, d.kind): {
            "seller_id": d.seller_id,
            "order_id": d.order_id,
            "kind": d.kind,
            "marketplace_id": d.marketplace_id,
            "occurred_at": d.occurred_at,
        }
        for d in defects
    }
    if rows:
        await session.execute(insert(DefectSignalRow).values(list(rows.values())).on_conflict_do_nothing())


def _scoped(model: Any, sellers: Sequence[str], marketplaces: Sequence[str]) -> list[Any]:
    clauses = [model.seller_id.in_(list(sellers))]
    if marketplaces:
        clauses.append(model.marketplace_id.in_(list(marketplaces)))
    return clauses


async def reports_in_range(
    session: AsyncSession,
    *,
    sellers: Sequence[str],
    marketplaces: Sequence[str],
    start: datetime,
    end: datetime,
) -> Sequence[AccountHealthRow]:
    """Amazon's figures fetched in [start, end), oldest first."""
    r = AccountHealthRow
    stmt = (
        select(r)
        .where(*_scoped(r, sellers, marketplaces), r.reported_at >= start, r.reported_at < end)
        .order_by(r.seller_id, r.marketplace_id, r.reported_at)
        .limit(5000)
    )
    return (await session.execute(stmt)).scalars().all()


async def latest_reports(
    session: AsyncSession, *, sellers: Sequence[str], marketplaces: Sequence[str], before: datetime
) -> Sequence[AccountHealthRow]:
    """Amazon's last figures per seller and marketplace before ``before``."""
    r = AccountHealthRow
    stmt = (
        select(r)
        .where(*_scoped(r, sellers, marketplaces), r.reported_at < before)
        .order_by(r.seller_id, r.marketplace_id, r.reported_at.desc(), r.event_id)
        .ext(distinct_on(r.seller_id, r.marketplace_id))
    )
    return (await session.execute(stmt)).scalars().all()


_ESTIMATE = """
WITH o AS (
  SELECT seller_id, marketplace_id,
         CASE WHEN fulfillment_type = 'AFN' THEN 'afn' ELSE 'mfn' END AS channel, count(*) AS orders
  FROM order_context
  WHERE seller_id IN :sellers AND purchase_date >= :start AND purchase_date < :end AND marketplace_id IS NOT NULL
  GROUP BY 1, 2, 3),
d AS (
  SELECT d.seller_id, coalesce(d.marketplace_id, oc.marketplace_id) AS marketplace_id,
         CASE WHEN oc.fulfillment_type = 'AFN' THEN 'afn' ELSE 'mfn' END AS channel,
         count(DISTINCT d.order_id) FILTER (WHERE d.kind = 'negative_feedback') AS nf,
         count(DISTINCT d.order_id) FILTER (WHERE d.kind = 'a_to_z') AS az,
         count(DISTINCT d.order_id) AS defective
  FROM health_defect_signals d
  LEFT JOIN order_context oc ON oc.seller_id = d.seller_id AND oc.order_id = d.order_id
  WHERE d.seller_id IN :sellers AND d.occurred_at >= :start AND d.occurred_at < :end
  GROUP BY 1, 2, 3)
SELECT seller_id, marketplace_id, channel, coalesce(o.orders, 0) AS orders, coalesce(d.nf, 0) AS nf,
       coalesce(d.az, 0) AS az, coalesce(d.defective, 0) AS defective
FROM o FULL JOIN d USING (seller_id, marketplace_id, channel)
WHERE marketplace_id IS NOT NULL {markets}
ORDER BY 1, 2, 3
"""


async def estimate_counts(
    session: AsyncSession,
    *,
    sellers: Sequence[str],
    marketplaces: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[EstimateCounts]:
    """Orders purchased in [start, end) (from ORDER_CHANGE) and orders with a defect seen in it, per channel.

    A defect whose order we never saw an ORDER_CHANGE for counts in the seller-fulfilled channel.
    """
    stmt = text(
        _ESTIMATE.format(markets="AND marketplace_id IN :markets" if marketplaces else "")
    ).bindparams(bindparam("sellers", expanding=True))
    params: dict[str, Any] = {"sellers": list(sellers), "start": start, "end": end}
    if marketplaces:
        stmt = stmt.bindparams(bindparam("markets", expanding=True))
        params["markets"] = list(marketplaces)
    return [
        EstimateCounts(str(s), str(m), str(c), int(o), int(nf), int(az), int(d))
        for s, m, c, o, nf, az, d in (await session.execute(stmt, params)).all()
    ]


# A complaint is a ticket with a signal that day: counted when the signal happened (a returns backfill of 30
# days is spread over its 30 days), each ticket once a day (a thread of five messages is one complaint).
_SIGNALS = """
FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.kind = 'signal' AND e.occurred_at >= :since AND e.occurred_at < :until
  AND t.asin IS NOT NULL AND t.marketplace_id IS NOT NULL AND t.category <> 'none'
"""
_ASIN_DAYS = f"""
SELECT t.seller_id, t.marketplace_id, t.asin,
       count(DISTINCT t.id) FILTER (WHERE e.occurred_at >= :day) AS today,
       count(DISTINCT (t.id, date_trunc('day', e.occurred_at, 'UTC'))) FILTER (WHERE e.occurred_at < :day)
         AS baseline
{_SIGNALS}
GROUP BY 1, 2, 3
HAVING count(DISTINCT t.id) FILTER (WHERE e.occurred_at >= :day) >= :min_count
ORDER BY 1, 2, 3
"""


async def asin_day_counts(
    session: AsyncSession, *, day: datetime, until: datetime, since: datetime, min_count: int
) -> list[AsinDay]:
    """Per ASIN: complaints on [day, until) and over [since, day); only ASINs with ``min_count`` today."""
    rows = await session.execute(
        text(_ASIN_DAYS), {"day": day, "until": until, "since": since, "min_count": min_count}
    )
    return [AsinDay(str(s), str(m), str(a), int(n), int(b)) for s, m, a, n, b in rows.all()]


async def spike_details(
    session: AsyncSession, *, spike: AsinDay, day: datetime, until: datetime, top: int = 3, examples: int = 5
) -> tuple[list[tuple[str, int]], list[uuid.UUID]]:
    """The ``top`` complaint reasons of the ASIN's complaints of the day, and a few of them (newest)."""
    excluded = " AND ".join(f"r->>'rule_id' NOT LIKE '{p}'" for p in _NOT_A_COMPLAINT_REASON)
    ids = (
        f"SELECT t.id, max(e.occurred_at) AS last {_SIGNALS} "
        "AND t.seller_id = :seller AND t.marketplace_id = :market AND t.asin = :asin GROUP BY t.id"
    )
    params = {"seller": spike.seller_id, "market": spike.marketplace_id, "asin": spike.asin, "since": day}
    params |= {"until": until, "top": top, "examples": examples}
    reasons = await session.execute(
        text(
            f"WITH d AS ({ids}) SELECT r->>'rule_id' AS rule_id, count(DISTINCT t.id) AS n FROM d "
            f"JOIN tickets t ON t.id = d.id CROSS JOIN LATERAL jsonb_array_elements(t.reasons) AS r "
            f"WHERE r->>'rule_id' IS NOT NULL AND {excluded} GROUP BY 1 ORDER BY n DESC, rule_id LIMIT :top"
        ),
        params,
    )
    found = await session.execute(text(f"{ids} ORDER BY last DESC, t.id LIMIT :examples"), params)
    return [(str(r), int(n)) for r, n in reasons.all()], [uuid.UUID(str(i)) for i, _ in found.all()]


async def spiked_on(session: AsyncSession, *, day: datetime) -> set[tuple[str, str, str]]:
    """(seller, marketplace, ASIN) already alerted for ``day``."""
    s = AsinSpikeRow
    rows = await session.execute(select(s.seller_id, s.marketplace_id, s.asin).where(s.day == day))
    return {(str(a), str(b), str(c)) for a, b, c in rows.all()}


async def add_spike(session: AsyncSession, *, row: AsinSpikeRow) -> bool:
    """Record a spike; False when this ASIN and day already had one (the alert is raised once)."""
    values = {c.key: getattr(row, c.key) for c in AsinSpikeRow.__table__.columns if c.key != "raised_at"}
    stmt = insert(AsinSpikeRow).values(values).on_conflict_do_nothing().returning(AsinSpikeRow.id)
    return (await session.execute(stmt)).first() is not None


async def spikes_in_range(
    session: AsyncSession,
    *,
    sellers: Sequence[str],
    marketplaces: Sequence[str],
    start: datetime,
    end: datetime,
) -> Sequence[AsinSpikeRow]:
    """Spikes of days starting in [start, end), newest first."""
    s = AsinSpikeRow
    stmt = (
        select(s)
        .where(and_(*_scoped(s, sellers, marketplaces)), s.day >= start, s.day < end)
        .order_by(s.day.desc(), s.complaints.desc(), s.asin)
        .limit(500)
    )
    return (await session.execute(stmt)).scalars().all()


async def defect_sellers(session: AsyncSession, *, since: datetime) -> list[str]:
    """Sellers with a defect seen since ``since`` (only they can have a running ODR above zero)."""
    d = DefectSignalRow
    rows = await session.execute(select(d.seller_id).where(d.occurred_at >= since).distinct())
    return sorted(str(s) for (s,) in rows.all())


async def add_odr_warning(session: AsyncSession, *, row: OdrWarningRow) -> bool:
    """Record a warning; False when its key was already raised."""
    values = {c.key: getattr(row, c.key) for c in OdrWarningRow.__table__.columns if c.key != "raised_at"}
    stmt = insert(OdrWarningRow).values(values).on_conflict_do_nothing().returning(OdrWarningRow.alert_key)
    return (await session.execute(stmt)).first() is not None
