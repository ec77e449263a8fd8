"""A Kafka batch is applied with batched statements: same outcome as one complaint at a time, exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import event, func, select

from services.responder.buyers.tables import BuyerHistoryRow
from services.responder.handlers import ResponderDeps, ResponderInput, handle_batch
from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.rows import outbox_row
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from services.responder.tickets import threads
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.events import BuyerActivity
from shared.kafka.typed import Consumed
from shared.topics import CLASSIFIED
from tests.responder.support import classified

CIPHER = PiiCipher("batched-tickets-test-key")
DEPS = ResponderDeps(
    cipher=CIPHER,
    composer=ReplyComposer(
        responder=ResponderSettings(pii_encryption_key=SecretStr("batched-tickets-test-key"))
    ),
)


async def _apply(db: Database, events: Sequence[ResponderInput]) -> None:
    records = [Consumed(e, CLASSIFIED, 0, offset, None, ()) for offset, e in enumerate(events)]
    async with unit_of_work(db) as session:
        await handle_batch(records, session=session, deps=DEPS, now=datetime.now(UTC))


async def _counts(db: Database) -> list[int]:
    """Tickets, outbox rows, timeline rows, buyer-history rows."""
    async with db.sessions() as session:
        return [
            int((await session.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (Ticket, OutboxMessage, TicketEvent, BuyerHistoryRow)
        ]


async def test_two_messages_of_one_thread_in_one_batch_make_one_ticket_and_one_reply(db: Database) -> None:
    first = classified(alias="buyer1@marketplace.amazon.com")
    second = classified(
        order_id=first.order_id or "", alias="buyer1@marketplace.amazon.com", text="Any news? Still nothing."
    )
    other = classified(order_id="123-7654321-7654321")
    await _apply(db, [first, second, other])
    async with db.sessions() as session:
        tickets = {t.order_id: t for t in (await session.execute(select(Ticket))).scalars()}
        replies = (await session.execute(select(OutboxMessage.order_id))).scalars().all()
        events = (
            (
                await session.execute(
                    select(TicketEvent.kind)
                    .where(TicketEvent.ticket_id == tickets[first.order_id].id)
                    .order_by(TicketEvent.id)
                )
            )
            .scalars()
            .all()
        )
    assert set(tickets) == {first.order_id, other.order_id}
    assert tickets[first.order_id].message_count == 2
    assert tickets[first.order_id].status == "awaiting_reply"
    assert sorted(map(str, replies)) == sorted([str(first.order_id), str(other.order_id)])  # one per thread
    assert events == ["signal", "classification", "signal", "classification", "reply_queued"]


async def test_a_redelivered_batch_changes_nothing_and_queues_nothing(db: Database) -> None:
    batch = [
        classified().model_copy(
            update={"buyer_activity": BuyerActivity(kind="complaint", reason="not_received")}
        ),
        classified(order_id="123-0000000-0000002"),
    ]
    await _apply(db, batch)
    before = await _counts(db)
    await _apply(db, batch)  # the consumer died before its offset commit: the same records again
    assert await _counts(db) == before
    assert before[:2] == [2, 2]
    assert before[3] == 1


async def test_a_refused_reply_address_is_on_the_timeline_and_gets_no_reply(db: Database) -> None:
    event = classified(alias="someone@example.com")
    await _apply(db, [event])
    async with db.sessions() as session:
        kinds = (await session.execute(select(TicketEvent.kind).order_by(TicketEvent.id))).scalars().all()
        replies = (await session.execute(select(OutboxMessage.status, OutboxMessage.to_enc))).all()
    assert "reply_address_refused" in kinds
    assert all(to is None and status != "pending" for status, to in replies)  # nothing goes to that address


async def test_a_batch_of_new_tickets_writes_each_ticket_once(db: Database) -> None:
    """The reply's status change is part of the ticket's INSERT, not an UPDATE of every ticket after it."""
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await _apply(db, [classified(order_id=f"123-0000000-00001{i:02d}") for i in range(3)])
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    async with db.sessions() as session:
        statuses = (await session.execute(select(Ticket.status))).scalars().all()
    assert statuses == ["awaiting_reply"] * 3
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE TICKETS")]


async def test_a_reply_whose_key_exists_already_leaves_the_ticket_as_without_it(db: Database) -> None:
    """The status written with the ticket assumes its reply is queued; a key queued before corrects it."""
    second = classified(alias="buyer7@marketplace.amazon.com")
    key = threads.thread_key(second)
    draft = DEPS.composer.compose(second, order=None, thread=key, buyer_alias=second.signal.reply_to)
    assert draft is not None
    assert draft.reply.status == "pending"
    async with unit_of_work(db) as session:
        ticket = Ticket(
            id=uuid.uuid4(),
            seller_id=second.seller_id,
            order_id=second.order_id,
            thread_key=key,
            status="new",
        )
        session.add(ticket)
        await session.flush()
        await outbox_repo.insert_outbox_many(  # the same reply, queued by someone before this batch
            session,
            rows=[
                outbox_row(
                    draft.reply,
                    key=draft.idempotency_key,
                    ticket_id=ticket.id,
                    seller_id=second.seller_id,
                    marketplace_id=second.marketplace_id,
                    order_id=second.order_id,
                    created_by="auto",
                    cipher=CIPHER,
                )
            ],
        )
    await _apply(db, [second])
    async with db.sessions() as session:
        status = (await session.execute(select(Ticket.status))).scalar_one()
        kinds = (await session.execute(select(TicketEvent.kind))).scalars().all()
    assert status == "new"  # not 'awaiting_reply': no reply of this batch was queued
    assert "reply_queued" not in kinds


async def test_a_new_tickets_alias_is_encrypted_once_for_the_ticket_and_its_reply(db: Database) -> None:
    await _apply(db, [classified(alias="buyer9@marketplace.amazon.com")])
    async with db.sessions() as session:
        stored = (await session.execute(select(Ticket.buyer_alias_enc))).scalar_one()
        to = (await session.execute(select(OutboxMessage.to_enc))).scalar_one()
    assert to is not None
    assert CIPHER.decrypt(to) == "buyer9@marketplace.amazon.com"
    assert to == stored  # one Fernet operation fewer per complaint, same value in both columns
