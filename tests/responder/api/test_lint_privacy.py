"""Lint results carry rule ids and offsets, never the offending text (a buyer's phone number or e-mail)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.responder.api.security import REPLIES_SEND, TICKETS_READ
from services.responder.tables import OutboxMessage, TicketEvent
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import add_event, add_key, add_outbox, add_ticket, bearer

ORDER = "111-2223334-4445556"
PHONE = "+49 170 5550123"
EMAIL = "jane.doe.buyer@example.net"
TEXT = f"Order {ORDER}: please call {PHONE} or write to {EMAIL} and we will sort it out."
_OLD_LINT = [
    {"rule_id": "contact.phone", "message": "phone number", "start": 3, "end": 18, "excerpt": PHONE},
    {"rule_id": "contact.email", "message": "e-mail", "start": 20, "end": 46, "excerpt": EMAIL},
]


def _no_contact(text: str) -> None:
    assert PHONE not in text
    assert EMAIL not in text
    assert "excerpt" not in text


async def test_lint_answers_offsets_not_text(client: httpx.AsyncClient, db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[])
    answer = await client.post(
        "/v1/replies/lint", json={"text": TEXT, "order_id": ORDER}, headers=bearer(key)
    )
    assert answer.status_code == 200
    violations = answer.json()["violations"]
    assert {"contact.phone", "contact.email"} <= {v["rule_id"] for v in violations}
    phone = next(v for v in violations if v["rule_id"] == "contact.phone")
    assert TEXT[phone["start"] : phone["end"]] == PHONE  # the offsets still point at it
    _no_contact(answer.text)


async def test_a_blocked_reply_stores_and_answers_no_excerpt(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(db, order_id=ORDER)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND, TICKETS_READ])
    blocked = await client.post(f"/v1/tickets/{ticket.id}/replies", json={"text": TEXT}, headers=bearer(key))
    assert blocked.status_code == 422
    assert blocked.json()["error"]["code"] == "reply_blocked"
    _no_contact(blocked.text)
    async with unit_of_work(db) as session:
        stored = (await session.execute(select(OutboxMessage.lint))).scalars().all()
        events = (await session.execute(select(TicketEvent.data))).scalars().all()
    assert stored
    assert stored[0]
    _no_contact(repr(stored) + repr(events))


async def test_views_hide_excerpts_stored_before(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, order_id=ORDER)
    await add_outbox(db, ticket, status="blocked", lint=_OLD_LINT)
    await add_event(db, ticket.id, kind="reply_queued", data={"status": "blocked", "lint": _OLD_LINT})
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])

    lane = await client.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as plain:
        routed = await plain.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))

    for answer in (lane, routed):
        assert answer.status_code == 200
        _no_contact(answer.text)
        doc = answer.json()
        assert [v["rule_id"] for v in doc["replies"][0]["lint"]] == ["contact.phone", "contact.email"]
        assert doc["replies"][0]["lint"][0]["start"] == 3
        assert [v["rule_id"] for v in doc["timeline"][0]["data"]["lint"]] == [
            "contact.phone",
            "contact.email",
        ]
