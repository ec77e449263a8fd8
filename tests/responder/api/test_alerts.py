"""SLA alerts: once per ticket and state, on the real broker, then a signed webhook with retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from services.responder.tables import Ticket, TicketEvent
from services.responder.workers.alerts import run_sla_alerts, sla_alert_pass
from services.responder.workers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, verify
from shared.db.session import Database, unit_of_work
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from shared.topics import SLA_ALERTS
from tests.responder.api.helpers import T0, add_ticket
from tests.responder.api.receiver import webhook_receiver

pytestmark = pytest.mark.integration

H = timedelta(hours=1)
SECRET = "hook-secret"


@pytest_asyncio.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[EventProducer]:
    p = EventProducer(KafkaSettings(bootstrap_servers=kafka_bootstrap))
    await p.start()
    yield p
    await p.stop()


async def _alerts_on_topic(
    bootstrap: str, ticket_ids: set[uuid.UUID], expect: int
) -> list[dict[str, object]]:
    """The SLA alerts of these tickets on the shared topic (other tests may publish there too)."""
    consumer = AIOKafkaConsumer(SLA_ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(15):
            while len(found) < expect:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        doc = orjson.loads(record.value)
                        if uuid.UUID(doc["ticket_id"]) in ticket_ids:
                            found.append(doc)
    finally:
        await consumer.stop()
    return found


async def test_alerts_once_per_state(db: Database, producer: EventProducer, kafka_bootstrap: str) -> None:
    soon = await add_ticket(db, status="new", due_at=T0 + 2 * H, priority="P2")
    late = await add_ticket(db, status="awaiting_reply", due_at=T0 - H)
    far = await add_ticket(db, status="new", due_at=T0 + 10 * H)
    answered = await add_ticket(db, status="replied", due_at=T0 + H)

    first = await sla_alert_pass(db=db, publisher=producer, now=T0, window=4 * H)
    assert {(a.ticket_id, a.state) for a in first} == {(soon.id, "due_soon"), (late.id, "breached")}
    assert await sla_alert_pass(db=db, publisher=producer, now=T0 + H, window=4 * H) == []
    third = await sla_alert_pass(db=db, publisher=producer, now=T0 + 3 * H, window=4 * H)
    assert [(a.ticket_id, a.state) for a in third] == [(soon.id, "breached")]

    async with unit_of_work(db) as session:
        states = {t.id: t.sla_alerted for t in (await session.execute(select(Ticket))).scalars()}
        entries = (
            (await session.execute(select(TicketEvent).where(TicketEvent.kind == "sla_alert")))
            .scalars()
            .all()
        )
    assert states == {soon.id: "breached", late.id: "breached", far.id: None, answered.id: None}
    assert sorted((e.ticket_id == soon.id, e.data["state"]) for e in entries) == [
        (False, "breached"),
        (True, "breached"),
        (True, "due_soon"),
    ]
    published = await _alerts_on_topic(kafka_bootstrap, {soon.id, late.id, far.id, answered.id}, expect=3)
    assert sorted((d["ticket_id"] == str(soon.id), d["state"]) for d in published) == [
        (False, "breached"),
        (True, "breached"),
        (True, "due_soon"),
    ]
    assert {d["event_type"] for d in published} == {"SlaAlertRaised"}
    assert next(d for d in published if d["ticket_id"] == str(soon.id))["priority"] == "P2"


async def test_a_moved_deadline_is_alerted_again(db: Database, producer: EventProducer) -> None:
    ticket = await add_ticket(db, status="awaiting_reply", due_at=T0 - H)
    assert [a.state for a in await sla_alert_pass(db=db, publisher=producer, now=T0, window=4 * H)] == [
        "breached"
    ]
    async with unit_of_work(db) as session:  # the buyer wrote again: the responder restarts the clock
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        stored.due_at = T0 + 2 * H
    again = await sla_alert_pass(db=db, publisher=producer, now=T0, window=4 * H)
    assert [(a.state, a.due_at) for a in again] == [("due_soon", T0 + 2 * H)]
    assert await sla_alert_pass(db=db, publisher=producer, now=T0, window=4 * H) == []


async def test_webhook_is_signed_and_retried_with_backoff() -> None:
    async with webhook_receiver([503, 500]) as hook:
        sender = WebhookSender(url=hook.url, secret=SECRET, max_attempts=4, backoff_s=0.01, timeout_s=2)
        try:
            assert await sender.deliver(b'{"a":1}', event_type="SlaAlertRaised", event_id="e-1") is True
        finally:
            await sender.aclose()
    assert len(hook.requests) == 3
    for req in hook.requests:
        ts = int(req.headers[TIMESTAMP_HEADER.lower()])
        assert verify(SECRET, ts, req.body, req.headers[SIGNATURE_HEADER.lower()], now=ts, tolerance_s=300)
        assert not verify(
            "other", ts, req.body, req.headers[SIGNATURE_HEADER.lower()], now=ts, tolerance_s=300
        )
        assert req.headers["x-complaints-event-id"] == "e-1"


async def test_webhook_gives_up_on_a_client_error_and_after_max_attempts() -> None:
    async with webhook_receiver([400, 500, 500]) as hook:
        sender = WebhookSender(url=hook.url, secret=SECRET, max_attempts=2, backoff_s=0.01, timeout_s=2)
        try:
            assert await sender.deliver(b"{}", event_type="x", event_id="e-2") is False
            assert len(hook.requests) == 1  # 400: retrying cannot help
            assert await sender.deliver(b"{}", event_type="x", event_id="e-3") is False
            assert len(hook.requests) == 3  # two 500s, then max attempts
        finally:
            await sender.aclose()


async def test_the_alert_loop_publishes_then_calls_the_webhook(db: Database, producer: EventProducer) -> None:
    late = await add_ticket(db, status="escalated", due_at=T0 - H)
    async with webhook_receiver([502]) as hook:
        sender = WebhookSender(url=hook.url, secret=SECRET, max_attempts=3, backoff_s=0.01, timeout_s=2)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_sla_alerts(
                db=db,
                publisher=producer,
                window=4 * H,
                interval_s=60,
                stop=stop,
                clock=lambda: T0,
                webhook=sender,
            )
        )
        try:
            await hook.wait_for(2)
        finally:
            stop.set()
            await task
            await sender.aclose()
    body = orjson.loads(hook.requests[-1].body)
    assert (body["ticket_id"], body["state"]) == (str(late.id), "breached")
