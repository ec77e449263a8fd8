"""Reading tickets: filters, the detail view with its timeline, and PII only for tickets:read."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.responder.api.security import STATS_READ, TICKETS_READ, TICKETS_WRITE
from shared.db.session import Database
from tests.responder.api.conftest import Clock
from tests.responder.api.helpers import T0, add_event, add_key, add_order, add_outbox, add_ticket, bearer


async def test_detail_has_timeline_replies_order_and_pii_only_with_tickets_read(
    client: httpx.AsyncClient, db: Database
) -> None:
    ticket = await add_ticket(
        db,
        order_id="111-2223334-4445556",
        asin="B0TEST0001",
        reasons=[{"rule_id": "r.x", "detail": "d", "weight": 1.0}],
    )
    await add_order(
        db, seller_id="SELLER-A", order_id="111-2223334-4445556", latest_delivery_date=T0, carrier="DHL"
    )
    await add_event(
        db,
        ticket.id,
        kind="signal",
        data={"kind": "buyer_message"},
        pii={"text": "my parcel never came", "subject": "Where?"},
    )
    await add_event(
        db,
        ticket.id,
        kind="classification",
        occurred_at=T0 + timedelta(seconds=1),
        data={"category": "not_received"},
    )
    await add_outbox(db, ticket, status="blocked", created_by="auto", body="Buy more at www.shop.example")
    reader = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    dashboard = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE], name="dashboard")

    full = await client.get(f"/v1/tickets/{ticket.id}", headers=bearer(reader))
    assert full.status_code == 200
    assert full.headers["ETag"] == '"1"'
    doc = full.json()
    assert [e["kind"] for e in doc["timeline"]] == ["signal", "classification"]
    assert doc["timeline"][0]["pii"] == {"text": "my parcel never came", "subject": "Where?"}
    assert doc["pii"] == {
        "buyer_alias": "buyer-x@marketplace.amazon.com",
        "subject": "Where is my parcel?",
    }
    assert doc["replies"][0]["status"] == "blocked"
    assert doc["replies"][0]["body"] == "Buy more at www.shop.example"
    assert doc["order"]["carrier"] == "DHL"
    assert doc["classification"]["reasons"] == [{"rule_id": "r.x", "detail": "d", "weight": 1.0}]

    masked = (await client.get(f"/v1/tickets/{ticket.id}", headers=bearer(dashboard))).json()
    assert masked["pii"] is None
    assert masked["timeline"][0]["pii"] is None
    assert masked["replies"][0]["body"] is None
    assert masked["timeline"][0]["data"] == {"kind": "buyer_message"}


async def test_filters_narrow_the_list(client: httpx.AsyncClient, db: Database, clock: Clock) -> None:
    late = await add_ticket(db, status="awaiting_reply", due_at=T0 - timedelta(hours=1), asin="B0LATE0001")
    soon = await add_ticket(
        db,
        status="new",
        due_at=T0 + timedelta(hours=2),
        priority="P2",
        tags=[{"name": "fragile", "confidence": 0.8}],
    )
    answered = await add_ticket(
        db, status="replied", due_at=T0 - timedelta(hours=5), priority_override="P1", language="de"
    )
    later = await add_ticket(
        db, status="new", due_at=T0 + timedelta(hours=30), sku="SKU-9", created_at=T0 + timedelta(days=2)
    )
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])

    async def ids(**params: str | int | list[str]) -> set[str]:
        r = await client.get("/v1/tickets", params=params, headers=bearer(key))
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["items"]}

    assert await ids(sla="breached") == {str(late.id)}
    assert await ids(sla="due_soon") == {str(soon.id)}
    assert await ids(sla="ok") == {str(later.id)}  # beyond the 4 h window; answered tickets owe nothing
    assert await ids(due_within_hours=48) == {str(soon.id), str(later.id)}
    assert await ids(priority="P1") == {str(answered.id)}
    assert await ids(priority=["P2", "P1"]) == {str(soon.id), str(answered.id)}
    assert await ids(tag="fragile") == {str(soon.id)}
    assert await ids(asin="B0LATE0001") == {str(late.id)}
    assert await ids(sku="SKU-9") == {str(later.id)}
    assert await ids(language="de") == {str(answered.id)}
    assert await ids(status=["replied", "awaiting_reply"]) == {str(late.id), str(answered.id)}
    assert await ids(created_from=(T0 + timedelta(days=1)).isoformat()) == {str(later.id)}
    assert await ids(created_to=(T0 + timedelta(days=1)).isoformat()) == {
        str(late.id),
        str(soon.id),
        str(answered.id),
    }

    page = (await client.get("/v1/tickets", params={"sla": "breached"}, headers=bearer(key))).json()
    assert page["items"][0]["sla_state"] == "breached"
    assert page["next_cursor"] is None
    clock.now = T0 - timedelta(hours=2)
    assert await ids(sla="breached") == set()


async def test_unknown_ticket_is_a_json_404(client: httpx.AsyncClient, db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    r = await client.get("/v1/tickets/3f8a4a0e-0000-4000-8000-000000000000", headers=bearer(key))
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "ticket_not_found", "message": "no such ticket"}}


async def test_dates_outside_what_postgres_can_store_are_422(client: httpx.AsyncClient, db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ, STATS_READ])
    for path, params in (
        ("/v1/tickets", {"created_from": "0001-01-01T00:00:00+14:00"}),  # year 0 in UTC
        ("/v1/tickets", {"updated_to": "9999-12-31T23:59:59-14:00"}),  # year 10000 in UTC
        ("/v1/tickets", {"created_to": "2026-01-01T00:00:00"}),  # naive: which zone?
        ("/v1/stats", {"to": "0001-01-01T00:00:00+00:00"}),
    ):
        r = await client.get(path, params=params, headers=bearer(key))
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), params


async def test_unassigned_lists_only_tickets_nobody_holds(client: httpx.AsyncClient, db: Database) -> None:
    free = await add_ticket(db)
    await add_ticket(db, assignee="agent-ana")
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    page = await client.get("/v1/tickets", params={"unassigned": "true"}, headers=bearer(key))
    assert page.status_code == 200, page.text
    assert [t["id"] for t in page.json()["items"]] == [str(free.id)]


async def test_a_to_z_claims_are_marked_in_the_list_and_the_detail(
    client: httpx.AsyncClient, db: Database
) -> None:
    window = {"rule_id": "sla.a_to_z", "detail": "72 h from signal", "weight": None}
    claim = await add_ticket(
        db,
        priority="P1",
        reasons=[{"rule_id": "priority.a_to_z_claim", "detail": "A-to-z Guarantee claim"}, window],
    )
    # A chargeback runs the same 72 h clock but is no A-to-z claim.
    chargeback = await add_ticket(
        db, seller_id="SELLER-B", priority="P1", reasons=[{"rule_id": "priority.chargeback"}, window]
    )
    plain = await add_ticket(db, reasons=[{"rule_id": "text.feature", "detail": "d", "weight": 1.0}])
    expected = {str(claim.id): True, str(chargeback.id): False, str(plain.id): False}
    for sellers in (["SELLER-A"], ["SELLER-A", "SELLER-B"]):  # one seller's walk and the merged one
        key = await add_key(db, sellers=sellers, scopes=[TICKETS_READ])
        r = await client.get("/v1/tickets", headers=bearer(key))
        assert r.status_code == 200, r.text
        marks = {t["id"]: t["a_to_z"] for t in r.json()["items"]}
        assert marks == {k: v for k, v in expected.items() if k in marks}
        assert len(marks) == len(sellers) + 1
    for ticket_id, mark in expected.items():
        detail = (await client.get(f"/v1/tickets/{ticket_id}", headers=bearer(key))).json()
        assert detail["a_to_z"] is mark
