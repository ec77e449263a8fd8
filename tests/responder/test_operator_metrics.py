"""The responder's operator metrics come from the real database and the real handler: outbox rows by state,
tickets at risk of and past their SLA by marketplace, reply decisions, and the traceparent each queued reply
keeps for its send span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, use_span
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select, update

from services.responder.handlers import ResponderDeps, handle_batch
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket
from services.responder.workers.gauges import refresh_gauges
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.kafka.typed import Consumed
from shared.topics import CLASSIFIED
from tests.responder.support import classified

DEPS = ResponderDeps(
    cipher=PiiCipher("operator-metrics-test-key"),
    composer=ReplyComposer(
        responder=ResponderSettings(pii_encryption_key=SecretStr("operator-metrics-test-key"))
    ),
)
TRACE = 0x0AF7651916CD43DD8448EB211C80319C


def _value(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_gauges_count_outbox_rows_and_tickets_by_sla_state(db: Database) -> None:
    now = datetime.now(UTC)
    decisions = ("auto_reply", "draft", "blocked", "none")
    before = sum(_value("responder_reply_decisions_total", decision=d) for d in decisions)
    events = [
        classified(order_id="302-1111111-1111111", marketplace_id="A1PA6795UKMFR9"),
        classified(order_id="302-2222222-2222222", marketplace_id="A1PA6795UKMFR9"),
    ]
    events.append(classified(order_id="123-7654321-7654321", marketplace_id="A1F83G8C2ARO7P"))
    # The batch runs under a span: each queued reply keeps the traceparent its send span will continue.
    parent = SpanContext(TRACE, 0xB7AD6B7169203331, is_remote=True, trace_flags=TraceFlags(1))
    records = [Consumed(e, CLASSIFIED, 0, offset, None, ()) for offset, e in enumerate(events)]
    with use_span(NonRecordingSpan(parent)):
        async with unit_of_work(db) as session:
            await handle_batch(records, session=session, deps=DEPS, now=now)
    assert sum(_value("responder_reply_decisions_total", decision=d) for d in decisions) == before + 3

    async with unit_of_work(db) as session:
        parents = (await session.execute(select(OutboxMessage.traceparent))).scalars().all()
        assert parents == [f"00-{TRACE:032x}-b7ad6b7169203331-01"] * 3
        one = (await session.execute(select(OutboxMessage.id).limit(1))).scalar_one()
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == one).values(status="unknown"))
        # One German ticket is overdue, the other due within the window; the British one is due later.
        de = (
            (await session.execute(select(Ticket.id).where(Ticket.marketplace_id == "A1PA6795UKMFR9")))
            .scalars()
            .all()
        )
        await session.execute(
            update(Ticket).where(Ticket.id == de[0]).values(due_at=now - timedelta(hours=1))
        )
        await session.execute(
            update(Ticket).where(Ticket.id == de[1]).values(due_at=now + timedelta(hours=1))
        )
        await session.execute(
            update(Ticket)
            .where(Ticket.marketplace_id == "A1F83G8C2ARO7P")
            .values(due_at=now + timedelta(days=2))
        )

    await refresh_gauges(db=db, now=now, window=timedelta(hours=4))
    async with unit_of_work(db) as session:
        statuses = list((await session.execute(select(OutboxMessage.status))).scalars())
    assert statuses.count("unknown") == 1
    for state in ("draft", "blocked", "pending", "sending", "sent", "unknown", "failed"):
        assert _value("outbox_rows", state=state) == statuses.count(state), state
    assert _value("tickets_sla", marketplace="A1PA6795UKMFR9", state="breached") == 1
    assert _value("tickets_sla", marketplace="A1PA6795UKMFR9", state="due_soon") == 1
    assert _value("tickets_sla", marketplace="A1F83G8C2ARO7P", state="due_soon") == 0

    # Answered: a marketplace with nothing owed reads 0 again, not its last value.
    async with unit_of_work(db) as session:
        await session.execute(update(Ticket).values(status="replied"))
    await refresh_gauges(db=db, now=now, window=timedelta(hours=4))
    assert _value("tickets_sla", marketplace="A1PA6795UKMFR9", state="breached") == 0
