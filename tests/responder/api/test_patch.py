"""PATCH /v1/tickets/{id}: If-Match is required, stale versions are refused, each change is on the timeline."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from services.responder.api.security import TICKETS_READ, TICKETS_WRITE
from services.responder.tables import TicketEvent
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import add_key, add_ticket, bearer


async def test_patch_needs_the_current_etag_and_records_each_change(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, tags=[{"name": "fragile", "confidence": 0.7}])
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE], name="erp")
    url = f"/v1/tickets/{ticket.id}"
    body = {"status": "escalated", "assignee": "Dana", "priority_override": "P1", "tags": ["fragile", "vip"]}

    missing = await client.patch(url, json=body, headers=bearer(key))
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "precondition_required"

    stale = await client.patch(url, json=body, headers={**bearer(key), "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert stale.headers["ETag"] == '"1"'

    ok = await client.patch(url, json=body, headers={**bearer(key), "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"2"'
    doc = ok.json()
    assert (doc["status"], doc["assignee"], doc["priority"], doc["priority_auto"]) == (
        "escalated",
        "Dana",
        "P1",
        "P3",
    )
    assert doc["tags"] == [{"name": "fragile", "confidence": 0.7}, {"name": "vip", "confidence": 1.0}]

    again = await client.patch(url, json={"assignee": None}, headers={**bearer(key), "If-Match": '"1"'})
    assert again.status_code == 412  # the first writer won; the second must re-read

    async with unit_of_work(db) as session:
        rows = (
            (await session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))
            .scalars()
            .all()
        )
    changes = {(e.kind, e.actor, e.data["field"], str(e.data["to"])) for e in rows}
    assert changes == {
        ("status_changed", "erp", "status", "escalated"),
        ("assignee_changed", "erp", "assignee", "Dana"),
        ("priority_overridden", "erp", "priority_override", "P1"),
        ("tags_changed", "erp", "tags", str(doc["tags"])),
    }


async def test_no_response_needed_sets_the_status_and_clearing_reopens(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(db, status="awaiting_reply")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE])
    url = f"/v1/tickets/{ticket.id}"
    first = await client.patch(
        url, json={"no_response_needed": True}, headers={**bearer(key), "If-Match": '"1"'}
    )
    assert (first.json()["status"], first.json()["no_response_needed"]) == ("no_response_needed", True)
    second = await client.patch(
        url, json={"no_response_needed": False}, headers={**bearer(key), "If-Match": 'W/"2"'}
    )
    assert (second.json()["status"], second.json()["no_response_needed"]) == ("new", False)
    same = await client.patch(url, json={"status": "new"}, headers={**bearer(key), "If-Match": '"3"'})
    assert same.headers["ETag"] == '"3"'  # nothing changed, no new version


async def test_patch_needs_tickets_write(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    r = await client.patch(
        f"/v1/tickets/{ticket.id}", json={"status": "closed"}, headers={**bearer(key), "If-Match": '"1"'}
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"


async def test_invalid_values_are_422_without_echoing_input(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE])
    r = await client.patch(
        f"/v1/tickets/{ticket.id}",
        json={"status": "deleted", "assignee": "a\x00b"},
        headers={**bearer(key), "If-Match": '"1"'},
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert {tuple(d["loc"]) for d in err["details"]} == {("body", "status"), ("body", "assignee")}
    assert all(set(d) == {"loc", "msg", "type"} for d in err["details"])  # the rejected input is not echoed
