"""Human replies: linted first, queued once through the outbox, blocked drafts kept."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from services.responder.api.security import REPLIES_SEND, TEMPLATES_READ, TICKETS_READ
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import CIPHER, add_key, add_ticket, bearer

ORDER = "111-2223334-4445556"
GOOD = (
    f"Hello, we are sorry that your order {ORDER} has not arrived yet. We have asked the carrier to trace "
    "the parcel and will write again within two days. Kind regards, Northwind Home"
)
BAD = (
    f"Sorry about order {ORDER}! Please leave us a 5 star review and visit www.shop-example.com for 20% off."
)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with unit_of_work(db) as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at))).scalars()
        )


async def _timeline(db: Database) -> list[TicketEvent]:
    async with unit_of_work(db) as session:
        return list((await session.execute(select(TicketEvent).order_by(TicketEvent.id))).scalars())


async def test_free_text_reply_is_queued_once(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(db, order_id=ORDER, last_message_id="<m1@relay.example>")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND, TICKETS_READ], name="agent-dana")
    url = f"/v1/tickets/{ticket.id}/replies"

    first = await client.post(url, json={"text": GOOD}, headers=bearer(key))
    assert first.status_code == 201, first.text
    doc = first.json()
    assert (doc["status"], doc["channel"], doc["created_by"], doc["replayed"]) == (
        "pending",
        "email",
        "agent-dana",
        False,
    )
    assert doc["body"] == GOOD
    again = await client.post(url, json={"text": GOOD}, headers=bearer(key))
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["replayed"]) == (doc["id"], True)

    [row] = await _outbox(db)
    assert row.status == "pending"
    assert CIPHER.decrypt(row.body_enc) == GOOD
    assert CIPHER.decrypt(row.to_enc) == "buyer-x@marketplace.amazon.com"
    assert CIPHER.decrypt(row.subject_enc) == "Re: Where is my parcel?"
    assert row.mail_headers == {"In-Reply-To": "<m1@relay.example>", "References": "<m1@relay.example>"}
    [entry] = await _timeline(db)
    assert (entry.kind, entry.actor, entry.data["outbox_id"]) == ("reply_queued", "agent-dana", doc["id"])
    async with unit_of_work(db) as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert (stored.status, stored.version) == ("awaiting_reply", 2)


async def test_idempotency_key_header_dedupes_and_refuses_other_text(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, order_id=ORDER)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    url = f"/v1/tickets/{ticket.id}/replies"
    headers = {**bearer(key), "Idempotency-Key": "erp-42"}
    assert (await client.post(url, json={"text": GOOD}, headers=headers)).status_code == 201
    replay = await client.post(url, json={"text": GOOD}, headers=headers)
    assert (replay.status_code, replay.json()["replayed"], replay.json()["body"]) == (200, True, None)
    other = await client.post(url, json={"text": GOOD + " Thanks."}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await _outbox(db)) == 1


async def test_blocked_reply_is_422_and_kept_as_blocked_draft(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, order_id=ORDER)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    r = await client.post(f"/v1/tickets/{ticket.id}/replies", json={"text": BAD}, headers=bearer(key))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "reply_blocked"
    assert {v["rule_id"] for v in err["details"]} >= {
        "content.review_request",
        "link.url",
        "content.marketing",
    }
    [row] = await _outbox(db)
    assert (str(row.id), row.status) == (err["draft_id"], "blocked")
    assert {v["rule_id"] for v in row.lint} == {v["rule_id"] for v in err["details"]}
    [entry] = await _timeline(db)
    assert entry.kind == "reply_blocked"
    async with unit_of_work(db) as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.status == "new"


async def test_template_reply_renders_with_ticket_values(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(
        db,
        order_id=ORDER,
        marketplace_id="A1PA6795UKMFR9",
        language="de",
        buyer_alias="buyer-x@marketplace.amazon.de",  # a reply only goes to an alias of the ticket's marketplace
    )
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND, TICKETS_READ])
    body = {"template_id": "email/not_received/de", "variables": {"seller_name": "Northwind Home"}}
    r = await client.post(f"/v1/tickets/{ticket.id}/replies", json=body, headers=bearer(key))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["template_id"], doc["language"], doc["status"]) == ("email/not_received/de", "de", "pending")
    assert ORDER in doc["body"]
    assert doc["subject"] == "Re: Where is my parcel?"
    missing = await client.post(
        f"/v1/tickets/{ticket.id}/replies", json={"template_id": "email/not_received/de"}, headers=bearer(key)
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "template_variable")


async def test_messaging_reply_needs_an_order_and_email_needs_an_address(
    client: httpx.AsyncClient, db: Database
) -> None:
    no_order = await add_ticket(db, order_id=None)
    no_alias = await add_ticket(db, order_id=ORDER, buyer_alias=None)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    r1 = await client.post(
        f"/v1/tickets/{no_order.id}/replies",
        json={"text": GOOD, "channel": "messaging:unexpectedProblem"},
        headers=bearer(key),
    )
    assert r1.json()["error"]["code"] == "no_order"
    r2 = await client.post(
        f"/v1/tickets/{no_alias.id}/replies", json={"text": GOOD, "channel": "email"}, headers=bearer(key)
    )
    assert r2.json()["error"]["code"] == "no_reply_address"
    r3 = await client.post(f"/v1/tickets/{no_alias.id}/replies", json={"text": GOOD}, headers=bearer(key))
    assert r3.status_code == 201  # no relay address: the default channel is the Messaging API
    assert (r3.json()["channel"], r3.json()["action"]) == ("messaging", "unexpectedProblem")
    both = await client.post(
        f"/v1/tickets/{no_alias.id}/replies",
        json={"text": GOOD, "template_id": "email/none/en"},
        headers=bearer(key),
    )
    assert both.status_code == 422


async def test_lint_templates_and_preview(client: httpx.AsyncClient, db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TEMPLATES_READ])
    lint = await client.post(
        "/v1/replies/lint", json={"text": BAD, "channel": "email", "order_id": ORDER}, headers=bearer(key)
    )
    assert lint.status_code == 200
    assert lint.json()["ok"] is False
    assert "link.url" in {v["rule_id"] for v in lint.json()["violations"]}
    clean = await client.post(
        "/v1/replies/lint", json={"text": GOOD, "order_id": ORDER, "locale": "en-US"}, headers=bearer(key)
    )
    assert clean.json() == {"ok": True, "violations": []}

    templates = (await client.get("/v1/templates", headers=bearer(key))).json()
    ids = {t["id"] for t in templates}
    assert {"email/not_received/en", "messaging:unexpectedProblem/defective/de"} <= ids
    preview = await client.post("/v1/templates/email/defective/fr/preview", json={}, headers=bearer(key))
    assert preview.status_code == 200, preview.text
    assert (preview.json()["language"], preview.json()["lint"]["ok"]) == ("fr", True)
    unknown = await client.post("/v1/templates/email/defective/xx/preview", json={}, headers=bearer(key))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "template_not_found")
    ticket = await add_ticket(db, order_id=ORDER)
    scoped = await client.post(
        "/v1/templates/email/defective/fr/preview", json={"ticket_id": str(ticket.id)}, headers=bearer(key)
    )
    assert scoped.status_code == 403


async def test_no_buyer_pii_in_logs(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = await add_ticket(db, order_id=ORDER, subject="Jane Doe wants her parcel")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND, TICKETS_READ])
    with caplog.at_level(logging.DEBUG):
        await client.post(f"/v1/tickets/{ticket.id}/replies", json={"text": GOOD}, headers=bearer(key))
        await client.post(f"/v1/tickets/{ticket.id}/replies", json={"text": BAD}, headers=bearer(key))
        await client.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for secret in ("Jane Doe", "buyer-x@", GOOD[:40], BAD[:30]):
        assert secret not in logged
