"""Pre-breach and breach alerts: once per ticket and state, to Kafka and optionally a signed webhook.

A pass locks candidate tickets, publishes one ``SlaAlertRaised`` each (deterministic event ids, so a pass
repeated after a crash between publish and commit produces duplicates consumers drop), records the state on
the ticket and its timeline, commits, and only then calls the webhook (never while holding row locks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from services.responder.tables import Ticket
from services.responder.tickets import repository as responder_repo
from services.responder.tickets import timeline
from services.responder.workers import repository as repo
from services.responder.workers.webhook import WebhookSender
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError
from shared.events import EventBase, Priority, SignalSource, SlaAlertRaised, event_id_for
from shared.topics import SLA_ALERTS

__all__ = ["Publisher", "alert_for", "run_sla_alerts", "sla_alert_pass"]

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """What the alert job needs from a producer (``shared.kafka.producer.EventProducer`` fits)."""

    async def publish(self, topic: str, event: EventBase) -> None:
        """Send one event and wait for the broker's ack."""
        ...


def alert_for(ticket: Ticket, *, now: datetime) -> SlaAlertRaised:
    """The alert a ticket due at ``ticket.due_at`` deserves now (pure)."""
    assert ticket.due_at is not None
    state = "breached" if ticket.due_at <= now else "due_soon"
    dedup = f"sla:{ticket.id}:{state}:{ticket.due_at.isoformat()}"
    return SlaAlertRaised(
        event_id=event_id_for(dedup),
        occurred_at=now,
        seller_id=ticket.seller_id,
        marketplace_id=ticket.marketplace_id,
        order_id=ticket.order_id,
        dedup_key=dedup,
        correlation_id=f"ticket:{ticket.id}",
        source=SignalSource.API,
        ticket_id=ticket.id,
        due_at=ticket.due_at,
        state=state,
        priority=Priority(ticket.priority_override or ticket.priority),
    )


async def sla_alert_pass(
    *, db: Database, publisher: Publisher, now: datetime, window: timedelta, batch: int = 200
) -> list[SlaAlertRaised]:
    """One pass in one transaction; returns the alerts raised (already committed)."""
    async with unit_of_work(db) as session:
        tickets = await repo.tickets_to_alert(session, now=now, window=window, limit=batch)
        alerts = [alert_for(t, now=now) for t in tickets]
        for alert in alerts:
            await publisher.publish(SLA_ALERTS, alert)
        await repo.mark_alerted(session, states={a.ticket_id: a.state for a in alerts})
        for alert in alerts:
            entry = timeline.sla_alert_entry(alert, now=now)
            await responder_repo.add_timeline(session, ticket_id=alert.ticket_id, entry=entry)
    if alerts:
        log.info("sla.alerts_raised", extra={"count": len(alerts)})
    return alerts


async def _notify(webhook: WebhookSender, alerts: list[SlaAlertRaised]) -> None:
    await asyncio.gather(
        *(
            webhook.deliver(a.model_dump_json().encode(), event_type=a.event_type, event_id=str(a.event_id))
            for a in alerts
        )
    )


async def run_sla_alerts(
    *,
    db: Database,
    publisher: Publisher,
    window: timedelta,
    interval_s: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    webhook: WebhookSender | None = None,
    batch: int = 200,
) -> None:
    """Run passes every ``interval_s`` until ``stop`` (the API process runs this; the worker can too)."""
    while not stop.is_set():
        alerts: list[SlaAlertRaised] = []
        try:
            while not stop.is_set():
                raised = await sla_alert_pass(
                    db=db, publisher=publisher, now=clock(), window=window, batch=batch
                )
                alerts.extend(raised)
                if len(raised) < batch:
                    break
        except RetryableError as exc:
            log.warning("sla.pass_failed", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop; the next one retries
            log.error("sla.pass_failed", extra={"exc_type": type(exc).__name__})
        if webhook is not None and alerts:
            await _notify(webhook, alerts)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
