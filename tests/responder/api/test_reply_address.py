"""Agent replies go to the ticket's stored relay alias only; a ticket without a valid one is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from services.responder.api.security import REPLIES_SEND
from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintClassified
from tests.responder.api.helpers import CIPHER, add_key, add_ticket, bearer
from tests.responder.support import classified

ORDER = "111-2223334-4445556"
ALIAS = "origbuyer000001@marketplace.amazon.com"
SPOOF = "zz9spoofed00001@marketplace.amazon.com"
TEXT = (
    f"Hello, we are sorry that your order {ORDER} has not arrived yet. We have asked the carrier to trace "
    "the parcel and will write again within two days. Kind regards, Northwind Home"
)


async def _apply(db: Database, event: ComplaintClassified) -> None:
    deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))
    async with unit_of_work(db) as session:
        await handle_complaints([event], session=session, deps=deps, now=datetime.now(UTC))


async def _rows(db: Database) -> list[OutboxMessage]:
    async with unit_of_work(db) as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at))).scalars()
        )


async def test_after_the_alias_attack_the_agents_reply_goes_to_the_original_alias(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _apply(db, classified(seller_id="SELLER-A", order_id=ORDER, alias=ALIAS))
    await _apply(db, classified(seller_id="SELLER-A", order_id=ORDER, alias=SPOOF, category="defective"))
    async with unit_of_work(db) as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    r = await client.post(
        f"/v1/tickets/{ticket.id}/replies", json={"text": TEXT, "channel": "email"}, headers=bearer(key)
    )
    assert r.status_code == 201, r.text
    rows = await _rows(db)
    agent = [row for row in rows if row.created_by != "auto"]
    assert [CIPHER.decrypt(row.to_enc) for row in agent] == [ALIAS]
    assert SPOOF not in [CIPHER.decrypt(row.to_enc) for row in rows]


async def test_a_stored_address_that_is_no_relay_alias_is_refused_with_409(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, order_id=ORDER, buyer_alias="attacker@evil.example")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    url = f"/v1/tickets/{ticket.id}/replies"
    for body in ({"text": TEXT, "channel": "email"}, {"template_id": "email/not_received/en"}):
        r = await client.post(url, json=body, headers=bearer(key))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "reply_address_rejected")
    assert await _rows(db) == []
    # Without a channel the reply takes the Messaging API, as for a ticket that has no address at all.
    r = await client.post(url, json={"text": TEXT}, headers=bearer(key))
    assert (r.status_code, r.json()["channel"]) == (201, "messaging")


async def test_an_alias_of_another_marketplace_than_the_tickets_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, order_id=ORDER, buyer_alias="origbuyer000001@marketplace.amazon.de")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    r = await client.post(
        f"/v1/tickets/{ticket.id}/replies", json={"text": TEXT, "channel": "email"}, headers=bearer(key)
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "reply_address_rejected")
    assert await _rows(db) == []
