"""Complaint spikes per ASIN: once per ASIN and UTC day, to Kafka and /metrics (the loop, ``health_alerts``,
then calls the signed webhook).

A pass counts today's complaint tickets per ASIN against the ASIN's own baseline days
(``services.responder.health.spikes``), records each new spike (its unique key makes the alert once per day),
publishes ``AsinComplaintSpikeDetected`` (deterministic event ids: a pass repeated after a crash between
publish and commit produces a duplicate consumers drop) and commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from prometheus_client import Counter

from services.responder.health import repository as repo
from services.responder.health.spikes import SpikePolicy, SpikeVerdict, judge
from services.responder.health.tables import AsinSpikeRow
from services.responder.workers.alerts import Publisher
from shared.db.session import Database, unit_of_work
from shared.events import AsinComplaintSpikeDetected, SignalSource, SpikeReason, event_id_for
from shared.topics import HEALTH_ALERTS

__all__ = ["SPIKES", "spike_event", "spike_pass"]

log = logging.getLogger(__name__)

SPIKES = Counter("asin_complaint_spikes_total", "Complaint spikes raised per ASIN and day", ["marketplace"])


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def spike_event(
    counts: repo.AsinDay,
    verdict: SpikeVerdict,
    *,
    day: datetime,
    now: datetime,
    reasons: list[tuple[str, int]],
    examples: list[object],
) -> AsinComplaintSpikeDetected:
    """The event of a spike (pure)."""
    dedup = f"spike:{counts.seller_id}:{counts.marketplace_id}:{counts.asin}:{day.date().isoformat()}"
    return AsinComplaintSpikeDetected(
        event_id=event_id_for(dedup),
        occurred_at=now,
        seller_id=counts.seller_id,
        marketplace_id=counts.marketplace_id,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.API,
        asin=counts.asin,
        day=day,
        complaints=counts.today,
        baseline_per_day=verdict.expected,
        p_value=verdict.p_value,
        top_reasons=tuple(SpikeReason(rule_id=r, count=n) for r, n in reasons),
        example_ticket_ids=tuple(examples),
    )


async def spike_pass(
    *, db: Database, publisher: Publisher, now: datetime, policy: SpikePolicy
) -> list[AsinComplaintSpikeDetected]:
    """One pass over today's complaints in one transaction; returns the spikes raised (already committed)."""
    day = _day(now)
    raised: list[AsinComplaintSpikeDetected] = []
    async with unit_of_work(db) as session:
        candidates = await repo.asin_day_counts(
            session,
            day=day,
            until=now,
            since=day - timedelta(days=policy.baseline_days),
            min_count=policy.min_count,
        )
        known = await repo.spiked_on(session, day=day)
        for counts in candidates:
            if (counts.seller_id, counts.marketplace_id, counts.asin) in known:
                continue
            verdict = judge(counts.today, counts.baseline, policy)
            if not verdict.spike:
                continue
            reasons, examples = await repo.spike_details(session, spike=counts, day=day, until=now)
            event = spike_event(counts, verdict, day=day, now=now, reasons=reasons, examples=list(examples))
            row = AsinSpikeRow(
                id=event.event_id,
                seller_id=counts.seller_id,
                marketplace_id=counts.marketplace_id,
                asin=counts.asin,
                day=day,
                complaints=counts.today,
                baseline_per_day=verdict.expected,
                p_value=verdict.p_value,
                top_reasons=[r.model_dump() for r in event.top_reasons],
                example_ticket_ids=[str(i) for i in examples],
            )
            if await repo.add_spike(session, row=row):
                raised.append(event)
        for event in raised:
            await publisher.publish(HEALTH_ALERTS, event)
    for event in raised:
        SPIKES.labels(event.marketplace_id or "").inc()
        log.warning(
            "health.asin_spike",
            extra={
                "seller_id": event.seller_id,
                "asin": event.asin,
                "complaints": event.complaints,
                "baseline_per_day": round(event.baseline_per_day, 3),
            },
        )
    return raised
