"""PII retention: personal columns are nulled N days after delivery (or creation); analytics stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from services.responder.api.security import TICKETS_READ
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from services.responder.workers.retention import redact_expired, run_retention
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import T0, add_event, add_key, add_order, add_outbox, add_ticket, bearer

D = timedelta(days=1)


async def _seed(db: Database) -> dict[str, Ticket]:
    await add_order(
        db, seller_id="SELLER-A", order_id="111-0000000-0000001", latest_delivery_date=T0 - 31 * D
    )
    await add_order(
        db, seller_id="SELLER-A", order_id="111-0000000-0000002", latest_delivery_date=T0 - 10 * D
    )
    tickets = {
        # Delivered 31 days ago: expired although the ticket itself is recent.
        "delivered_long_ago": await add_ticket(db, order_id="111-0000000-0000001", created_at=T0 - 5 * D),
        # Delivered 10 days ago: kept although the ticket is old.
        "delivered_recently": await add_ticket(db, order_id="111-0000000-0000002", created_at=T0 - 60 * D),
        # Delivery unknown: the ticket's creation counts.
        "old_without_order": await add_ticket(
            db, created_at=T0 - 40 * D, asin="B0KEEP0001", category="defective"
        ),
        "new_without_order": await add_ticket(db, created_at=T0 - 5 * D),
    }
    for ticket in tickets.values():
        await add_event(
            db, ticket.id, kind="signal", data={"kind": "buyer_message"}, pii={"text": "I am Jane Doe"}
        )
        await add_outbox(db, ticket, status="sent")
    await add_outbox(db, tickets["old_without_order"], status="pending", created_by="key:late")
    return tickets


async def test_redact_expired_nulls_pii_and_keeps_analytics(client: httpx.AsyncClient, db: Database) -> None:
    tickets = await _seed(db)
    async with unit_of_work(db) as session:
        assert await redact_expired(session, now=T0, retention_days=30) == 2
    async with unit_of_work(db) as session:
        assert await redact_expired(session, now=T0, retention_days=30) == 0

    expired = {tickets["delivered_long_ago"].id, tickets["old_without_order"].id}
    async with unit_of_work(db) as session:
        for t in (await session.execute(select(Ticket))).scalars():
            gone = t.id in expired
            assert (
                t.buyer_alias_enc is None,
                t.subject_enc is None,
                t.pii_redacted_at == (T0 if gone else None),
            ) == (
                gone,
                gone,
                True,
            )
        for e in (await session.execute(select(TicketEvent))).scalars():
            assert (e.pii_enc is None) == (e.ticket_id in expired)
            assert e.data == {"kind": "buyer_message"}
        for o in (await session.execute(select(OutboxMessage))).scalars():
            gone = o.ticket_id in expired
            assert {o.to_enc is None, o.subject_enc is None, o.body_enc is None} == {gone}
            if o.created_by == "key:late":
                assert (o.status, o.last_error) == ("failed", "redacted by retention before sending")
            else:
                assert o.status == "sent"
        kept = await session.get(Ticket, tickets["old_without_order"].id)
        assert kept is not None
        assert (kept.asin, kept.category) == ("B0KEEP0001", "defective")

    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    doc = (await client.get(f"/v1/tickets/{tickets['old_without_order'].id}", headers=bearer(key))).json()
    assert doc["pii"] == {"buyer_alias": None, "subject": None}
    assert doc["timeline"][0]["pii"] is None
    assert doc["pii_redacted_at"] is not None


async def test_the_retention_loop_redacts_in_batches(db: Database) -> None:
    tickets = await _seed(db)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_retention(db=db, retention_days=30, interval_s=60, stop=stop, clock=lambda: T0, batch=1)
    )
    try:
        async with asyncio.timeout(10):
            while True:
                async with unit_of_work(db) as session:
                    left = await session.get(Ticket, tickets["old_without_order"].id, populate_existing=True)
                    other = await session.get(
                        Ticket, tickets["delivered_long_ago"].id, populate_existing=True
                    )
                if left and other and left.pii_redacted_at and other.pii_redacted_at:
                    break
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
