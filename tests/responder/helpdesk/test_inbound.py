"""Zendesk updates applied through the responder's handler: replies linted and queued once, status in order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.responder.handlers import ResponderDeps, handle_batch
from services.responder.helpdesk.repository import save_link
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.db.session import Database, unit_of_work
from shared.events import HelpdeskUpdateReceived, SignalSource, event_id_for
from shared.kafka.typed import Consumed
from shared.stack.zendesk_standin import ZendeskHandle
from tests.responder.helpdesk.support import CIPHER, Clock, apply, drain, make_sync
from tests.responder.support import classified

pytestmark = pytest.mark.integration

ORDER = "123-1234567-1234567"
_T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _update(
    ticket_id: uuid.UUID,
    *,
    comment_id: int | None = None,
    text: str = "",
    status: str | None = None,
    at: datetime = _T0,
    seller_id: str,
    dedup_suffix: str = "",
) -> HelpdeskUpdateReceived:
    dedup = (
        f"zendesk:{seller_id}:comment:{comment_id}"
        if comment_id
        else f"zendesk:{seller_id}:status:{status}:{at}"
    ) + dedup_suffix
    return HelpdeskUpdateReceived(
        event_id=event_id_for(dedup),
        occurred_at=at,
        seller_id=seller_id,
        dedup_key=dedup,
        correlation_id="zendesk:77",
        source=SignalSource.HELPDESK,
        helpdesk="zendesk",
        ticket_id=ticket_id,
        remote_ticket_id=77,
        remote_status=status,
        remote_updated_at=at,
        comment_id=comment_id,
        comment_public=comment_id is not None,
        author_id=9001,
        text=text,
    )


async def _consume(db: Database, *events: HelpdeskUpdateReceived) -> None:
    deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))
    records = [Consumed(e, "amazon.events.v1", 0, i, e.seller_id.encode(), ()) for i, e in enumerate(events)]
    async with unit_of_work(db) as session:
        await handle_batch(records, session=session, deps=deps, now=datetime.now(UTC))


async def _ticket(db: Database, seller: str) -> Ticket:
    async with db.sessions() as session:
        return (await session.execute(select(Ticket).where(Ticket.seller_id == seller))).scalar_one()


async def _agent_rows(db: Database, seller: str) -> list[OutboxMessage]:
    async with db.sessions() as session:
        stmt = select(OutboxMessage).where(
            OutboxMessage.seller_id == seller, OutboxMessage.created_by.like("zendesk%")
        )
        return list((await session.execute(stmt)).scalars())


async def test_an_agents_public_comment_leaves_through_the_outbox_to_the_relay_alias_once(
    db: Database, seller: str
) -> None:
    complaint = classified(seller_id=seller, order_id=ORDER)
    await apply(db, complaint)
    ticket = await _ticket(db, seller)
    text = f"Hello, we have shipped a replacement for order {ORDER}. It arrives on Friday."
    reply = _update(ticket.id, seller_id=seller, comment_id=501, text=text)

    await _consume(db, reply)
    await _consume(db, reply)  # delivered again: the processed key skips it
    # The same comment under another event id (a dedup ledger pruned, say): the outbox key still holds.
    await _consume(db, _update(ticket.id, seller_id=seller, comment_id=501, text=text, dedup_suffix=":again"))

    rows = await _agent_rows(db, seller)
    assert len(rows) == 1
    row = rows[0]
    assert row.status == "pending"
    assert row.channel == "email"
    assert CIPHER.decrypt(row.to_enc) == complaint.signal.reply_to
    assert CIPHER.decrypt(row.body_enc) == text
    assert row.created_by == "zendesk:9001"
    assert row.mail_headers["In-Reply-To"] == complaint.signal.message_id
    assert (await _ticket(db, seller)).status == "awaiting_reply"


async def test_a_blocked_reply_is_kept_and_becomes_an_internal_note_with_the_rule_ids(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    sync = make_sync(db, zendesk.base_url, Clock(), seller=seller)
    await sync.start()
    await apply(db, classified(seller_id=seller, order_id=ORDER))
    await drain(sync)
    ticket = await _ticket(db, seller)
    text = f"About order {ORDER}: call us on +1 415 555 0199 or see www.our-shop.example for a discount."

    await _consume(db, _update(ticket.id, seller_id=seller, comment_id=502, text=text))
    await drain(sync)
    await sync.aclose()

    (row,) = await _agent_rows(db, seller)
    assert row.status == "blocked"
    rules = {v["rule_id"] for v in row.lint}
    assert {"contact.phone", "link.url"} <= rules
    (remote,) = zendesk.state.tickets.values()
    notes = [str(c["body"]) for c in remote.comments if "NOT sent" in str(c["body"])]
    assert len(notes) == 1
    assert all(rule in notes[0] for rule in rules)
    assert remote.comments[-1]["public"] is False


async def test_an_older_status_arriving_after_a_newer_one_is_ignored(db: Database, seller: str) -> None:
    await apply(db, classified(seller_id=seller, order_id=ORDER))
    ticket = await _ticket(db, seller)
    async with unit_of_work(db) as session:  # the link the first push makes
        await save_link(session, ticket_id=ticket.id, seller_id=seller, remote_id=77, pushed={})

    await _consume(db, _update(ticket.id, seller_id=seller, status="solved", at=_T0 + timedelta(minutes=5)))
    assert (await _ticket(db, seller)).status == "resolved"
    await _consume(
        db, _update(ticket.id, seller_id=seller, status="open", at=_T0)
    )  # older: sent before the solve
    assert (await _ticket(db, seller)).status == "resolved"
    await _consume(
        db, _update(ticket.id, seller_id=seller, status="open", at=_T0 + timedelta(minutes=9))
    )  # a real reopen
    assert (await _ticket(db, seller)).status == "awaiting_reply"
    async with db.sessions() as session:
        changes = (
            await session.execute(select(TicketEvent).where(TicketEvent.kind == "status_changed"))
        ).scalars()
        assert [(e.data["from"], e.data["to"], e.actor) for e in changes] == [
            ("awaiting_reply", "resolved", "zendesk:9001"),
            ("resolved", "awaiting_reply", "zendesk:9001"),
        ]


async def test_an_update_naming_another_sellers_ticket_changes_nothing(db: Database, seller: str) -> None:
    await apply(db, classified(seller_id=seller, order_id=ORDER))
    ticket = await _ticket(db, seller)
    await _consume(
        db, _update(ticket.id, comment_id=503, text=f"Order {ORDER}: refunded.", seller_id=f"{seller}X")
    )
    assert await _agent_rows(db, seller) == []
