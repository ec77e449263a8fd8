"""The Zendesk sync against the stand-in and the real PostgreSQL: mirrored once, in order, through outages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.responder.helpdesk.tables import HelpdeskLink, HelpdeskSyncRow
from services.responder.tables import Ticket
from shared.db.session import Database
from shared.stack.ports import free_port
from shared.stack.zendesk_standin import ZendeskFault, ZendeskHandle, ZendeskTicket, start_zendesk
from tests.responder.helpdesk.support import ORDER_FIELD, SLA_FIELD, Clock, apply, drain, make_sync
from tests.responder.support import classified

pytestmark = pytest.mark.integration


async def _rows(db: Database, seller: str) -> list[HelpdeskSyncRow]:
    stmt = select(HelpdeskSyncRow).where(HelpdeskSyncRow.seller_id == seller).order_by(HelpdeskSyncRow.id)
    async with db.sessions() as session:
        return list((await session.execute(stmt)).scalars())


def _only_ticket(zendesk: ZendeskHandle) -> ZendeskTicket:
    tickets = list(zendesk.state.tickets.values())
    assert len(tickets) == 1, [t.as_json() for t in tickets]
    return tickets[0]


def _bodies(ticket: ZendeskTicket) -> list[str]:
    return [str(c["body"]) for c in ticket.comments]


async def test_a_ticket_is_mirrored_once_with_tags_fields_and_internal_notes_in_order(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    sync = make_sync(db, zendesk.base_url, Clock(), seller=seller)
    await sync.start()
    first = classified(seller_id=seller, text="The parcel never came.")
    await apply(db, first)
    await apply(
        db, classified(seller_id=seller, order_id=first.order_id or "", text="Still nothing, please help.")
    )

    assert await drain(sync) == len(await _rows(db, seller))
    await sync.aclose()

    remote = _only_ticket(zendesk)
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket).where(Ticket.seller_id == seller))).scalar_one()
        link = (
            await session.execute(select(HelpdeskLink).where(HelpdeskLink.ticket_id == ticket.id))
        ).scalar_one()
    assert remote.external_id == str(ticket.id)
    assert link.remote_id == remote.id
    assert {"cmp_category_not_received", "cmp_priority_p2", "cmp_lang_en"} <= set(remote.tags)
    assert remote.custom_fields[ORDER_FIELD] == first.order_id
    assert ticket.due_at is not None
    assert remote.custom_fields[SLA_FIELD] == ticket.due_at.isoformat()
    assert remote.status == "open"
    assert remote.priority == "high"
    bodies = _bodies(remote)
    assert bodies[0].startswith("The parcel never came.")
    assert any(b.startswith("Reply queued") for b in bodies)
    assert bodies[-1].startswith("The buyer wrote:\n\nStill nothing, please help.")
    assert all(c["public"] is False for c in remote.comments)  # Zendesk never mails anyone for us
    assert {r.status for r in await _rows(db, seller)} == {"sent"}
    assert zendesk.state.idempotency  # the create carried an Idempotency-Key


async def test_zendesk_down_for_an_hour_loses_nothing_and_writes_nothing_twice(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    clock = Clock()
    sync = make_sync(db, zendesk.base_url, clock, seller=seller)
    await sync.start()
    # The create is carried out but answered 500, then Zendesk is down (503) for an hour.
    zendesk.state.faults.append(ZendeskFault(500, applied=True))
    await apply(db, classified(seller_id=seller, text="Where is my order?"))
    assert await sync.tick() == 1
    assert len(zendesk.state.tickets) == 1
    zendesk.state.down = 503
    for _ in range(12):
        clock.advance(300)
        await sync.tick()
    await apply(db, classified(seller_id=seller, text="Hello? Anyone?", order_id="123-1234567-1234567"))
    rows = await _rows(db, seller)
    assert {r.status for r in rows} == {"pending"}
    assert rows[0].attempts > 3

    zendesk.state.down = None
    clock.advance(301)
    await drain(sync, between=lambda: clock.advance(301))
    await sync.aclose()

    remote = _only_ticket(zendesk)
    bodies = _bodies(remote)
    assert len(bodies) == len(set(bodies))  # no note twice
    assert sum(b.startswith("Where is my order?") for b in bodies) == 1
    assert sum("Hello? Anyone?" in b for b in bodies) == 1
    assert {r.status for r in await _rows(db, seller)} == {"sent"}


async def test_connection_refused_for_an_hour_then_the_server_comes_back(db: Database, seller: str) -> None:
    clock = Clock()
    port = free_port()
    sync = make_sync(db, f"http://127.0.0.1:{port}", clock, seller=seller)
    await sync.start()
    await apply(db, classified(seller_id=seller))
    for _ in range(12):
        await sync.tick()
        clock.advance(300)
    (first, *_) = await _rows(db, seller)
    assert first.status == "pending"
    assert "zendesk_transport" in (first.last_error or "")

    zendesk = await start_zendesk(port=port)
    try:
        clock.advance(301)
        await drain(sync, between=lambda: clock.advance(301))
    finally:
        await sync.aclose()
        await zendesk.stop()
    assert len(zendesk.state.tickets) == 1
    assert {r.status for r in await _rows(db, seller)} == {"sent"}


async def test_a_429_pauses_the_seller_for_its_retry_after_and_is_not_an_attempt_lost(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    clock = Clock()
    sync = make_sync(db, zendesk.base_url, clock, seller=seller)
    await sync.start()
    await apply(db, classified(seller_id=seller))
    zendesk.state.faults.append(ZendeskFault(429, retry_after=30))
    assert await sync.tick() == 1
    asked = len(zendesk.state.requests)
    clock.advance(20)
    assert await sync.tick() == 0  # still inside Retry-After: nothing is even asked
    assert len(zendesk.state.requests) == asked
    clock.advance(11)
    await drain(sync)
    await sync.aclose()
    assert len(zendesk.state.tickets) == 1
    assert {r.status for r in await _rows(db, seller)} == {"sent"}


async def test_the_per_minute_budget_holds_changes_back_without_spending_attempts(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    clock = Clock()
    sync = make_sync(db, zendesk.base_url, clock, per_minute=2, seller=seller)
    await sync.start()
    await apply(db, *(classified(seller_id=seller, order_id=f"123-1234567-123456{i}") for i in range(3)))
    await sync.tick()
    assert len(zendesk.state.requests) == 2
    held = [r for r in await _rows(db, seller) if r.status == "pending" and r.not_before is not None]
    assert held
    assert all(r.attempts == 0 for r in held)
    clock.advance(61)
    await drain(sync, between=lambda: clock.advance(61))
    await sync.aclose()
    assert len(zendesk.state.tickets) == 3
    assert {r.status for r in await _rows(db, seller)} == {"sent"}


async def test_sellers_without_an_account_queue_nothing(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    sync = make_sync(db, zendesk.base_url, Clock(), seller=seller)
    await sync.start()
    other = f"{seller}X"
    await apply(db, classified(seller_id=other), classified(seller_id=seller))
    await sync.aclose()
    assert await _rows(db, other) == []
    assert len(await _rows(db, seller)) == 3  # signal, classification, reply queued


async def test_a_note_whose_answer_was_lost_is_found_again_not_written_twice(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    clock = Clock()
    sync = make_sync(db, zendesk.base_url, clock, seller=seller)
    await sync.start()
    first = classified(seller_id=seller, text="Broken on arrival.")
    await apply(db, first)
    await drain(sync)
    await apply(
        db,
        classified(seller_id=seller, order_id=first.order_id or "", text="Photos attached, it is cracked."),
    )
    zendesk.state.faults.append(ZendeskFault(502, applied=True))  # the note lands, the answer is a 502
    assert await sync.tick() == 1
    clock.advance(301)
    await drain(sync, between=lambda: clock.advance(301))
    await sync.aclose()

    bodies = _bodies(_only_ticket(zendesk))
    assert sum("Photos attached" in b for b in bodies) == 1
    assert {r.status for r in await _rows(db, seller)} == {"sent"}


async def test_changes_sent_a_week_ago_are_forgotten(
    db: Database, zendesk: ZendeskHandle, seller: str
) -> None:
    clock = Clock()
    sync = make_sync(db, zendesk.base_url, clock, seller=seller)
    await sync.start()
    await apply(db, classified(seller_id=seller))
    await drain(sync)
    sent = len(await _rows(db, seller))
    assert sent > 0
    clock.advance(8 * 86400)
    await sync.tick()
    await sync.aclose()
    assert await _rows(db, seller) == []
