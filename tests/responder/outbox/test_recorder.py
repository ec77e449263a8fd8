"""Outcomes recorded in batches: the same rows, tickets and timelines as one transaction per row."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from services.responder.outbox.recorder import OutcomeRecorder
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.db.session import Database, unit_of_work
from tests.responder.exactly_once_support import apply
from tests.responder.support import classified

pytestmark = pytest.mark.integration


async def _queued(db: Database, count: int) -> list[OutboxMessage]:
    """``count`` tickets with one reply each, claimed ('sending') as the sender would."""
    await apply(db, *(classified(order_id=f"123-{n:07d}-{n:07d}") for n in range(1, count + 1)))
    async with unit_of_work(db) as session:
        await session.execute(
            update(OutboxMessage).values(status="sending", claimed_at=datetime.now(UTC), attempts=1)
        )
    async with db.sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.order_id))).scalars().all()
    return list(rows)


async def test_a_batch_records_each_outcome_on_its_row_ticket_and_timeline(db: Database) -> None:
    sent, failed, retry = await _queued(db, 3)
    later = datetime.now(UTC) + timedelta(minutes=5)
    recorder = OutcomeRecorder(db, clock=lambda: datetime.now(UTC), delay_s=0.05)
    results = await asyncio.gather(
        recorder.record(sent.id, sent.ticket_id, status="sent", error=None, retry_at=None),
        recorder.record(
            failed.id, failed.ticket_id, status="failed", error="smtp_5xx: refused", retry_at=None
        ),
        recorder.record(retry.id, retry.ticket_id, status="pending", error="smtp_4xx: later", retry_at=later),
    )
    assert list(results) == [True, True, True]
    async with db.sessions() as session:
        rows = {r.id: r for r in (await session.execute(select(OutboxMessage))).scalars()}
        tickets: dict[uuid.UUID | None, Ticket] = {
            t.id: t for t in (await session.execute(select(Ticket))).scalars()
        }
        kinds = {
            (e.ticket_id, e.kind, e.data.get("error"))
            for e in (await session.execute(select(TicketEvent))).scalars()
            if e.kind.startswith("reply_") and e.kind != "reply_queued"
        }
    assert (rows[sent.id].status, rows[sent.id].sent_at is not None) == ("sent", True)
    assert (rows[failed.id].status, rows[failed.id].last_error) == ("failed", "smtp_5xx: refused")
    assert (rows[retry.id].status, rows[retry.id].not_before) == ("pending", later)
    assert tickets[sent.ticket_id].status == "replied"
    assert tickets[sent.ticket_id].first_response_at is not None
    assert tickets[failed.ticket_id].status == "escalated"
    assert tickets[retry.ticket_id].status == "awaiting_reply"
    assert kinds == {
        (sent.ticket_id, "reply_sent", None),
        (failed.ticket_id, "reply_failed", "smtp_5xx: refused"),
        (retry.ticket_id, "reply_pending", "smtp_4xx: later"),
    }


async def test_a_row_no_longer_sending_is_left_alone(db: Database) -> None:
    (row,) = await _queued(db, 1)
    async with unit_of_work(db) as session:
        await session.execute(update(OutboxMessage).values(status="unknown"))
    recorder = OutcomeRecorder(db, clock=lambda: datetime.now(UTC))
    assert not await recorder.record(row.id, row.ticket_id, status="sent", error=None, retry_at=None)
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        status = (await session.execute(select(OutboxMessage.status))).scalar_one()
    assert (status, ticket.status, ticket.first_response_at) == ("unknown", "awaiting_reply", None)


async def test_two_outcomes_of_one_ticket_apply_in_the_order_they_came(db: Database) -> None:
    (first,) = await _queued(db, 1)
    async with unit_of_work(db) as session:
        second_id = uuid.uuid4()
        values = {c.name: getattr(first, c.name) for c in OutboxMessage.__table__.columns}
        values.update(id=second_id, idempotency_key=first.idempotency_key + "|2")
        await session.execute(insert(OutboxMessage).values(values))
        version = (await session.execute(select(Ticket.version))).scalar_one()
    recorder = OutcomeRecorder(db, clock=lambda: datetime.now(UTC), delay_s=0.05)
    await asyncio.gather(
        recorder.record(first.id, first.ticket_id, status="sent", error=None, retry_at=None),
        recorder.record(second_id, first.ticket_id, status="unknown", error="timeout", retry_at=None),
    )
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    # sent (replied) then unknown (escalated); each outcome counts as one change of the ticket
    assert (ticket.status, ticket.version) == ("escalated", version + 2)
