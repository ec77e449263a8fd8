"""The one-query detail view answers exactly what the ORM path (still used after PATCH) builds."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text

from services.responder.api import tickets_service as service
from services.responder.api.config import ApiSettings
from services.responder.api.security import TICKETS_READ, TICKETS_WRITE, Principal
from services.responder.api.views import summary_of
from services.responder.tables import Ticket
from services.responder.tickets.sla import sla_state
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import (
    CIPHER,
    T0,
    add_event,
    add_key,
    add_order,
    add_outbox,
    add_ticket,
    bearer,
)


async def _orm_view(db: Database, ticket_id: Any, caller: Principal) -> dict[str, Any]:
    async with unit_of_work(db) as session:
        ticket = await service.load_ticket(session, ticket_id=ticket_id, caller=caller)
        detail = await service.read_ticket(
            session, ticket=ticket, caller=caller, cipher=CIPHER, now=T0, window=timedelta(hours=4)
        )
    return detail.model_dump(mode="json")


@pytest.mark.parametrize("scopes", [[TICKETS_READ], [TICKETS_WRITE]])
async def test_detail_matches_the_orm_view_whatever_the_session_time_zone(
    client: httpx.AsyncClient, db: Database, migrated_db: str, scopes: list[str]
) -> None:
    # A non-UTC session time zone must not leak into timestamps built inside the query.
    name = make_url(migrated_db).database
    async with db.engine.connect() as conn:
        await conn.execute(text(f"ALTER DATABASE \"{name}\" SET TimeZone = 'Asia/Kolkata'"))
        await conn.commit()
    await db.engine.dispose()  # later connections pick the setting up
    precise = T0 + timedelta(microseconds=123456)
    ticket = await add_ticket(
        db,
        order_id="111-0000000-0000001",
        tags=[{"name": "fragile", "confidence": 0.8}],
        reasons=[{"rule_id": "r.x", "detail": "d"}],
        due_at=T0 + timedelta(hours=2),
        confidence=0.75,
    )
    await add_order(
        db,
        seller_id="SELLER-A",
        order_id="111-0000000-0000001",
        latest_delivery_date=precise,
        purchase_date=T0.astimezone(UTC) - timedelta(days=5),
        order_amount=Decimal("12.50"),
        currency="EUR",
    )
    await add_event(db, ticket.id, kind="signal", occurred_at=precise, pii={"text": "späte Lieferung"})
    await add_event(db, ticket.id, kind="note", occurred_at=T0, data={"n": [1, 2.5, None]})
    await add_outbox(db, ticket, status="sent", created_at=precise)
    await add_outbox(db, ticket, status="blocked", created_at=T0 + timedelta(minutes=1))
    key = await add_key(db, sellers=["SELLER-A"], scopes=scopes)
    caller = Principal.of(key_id=uuid.uuid4(), name="x", prefix="cpk_0", scopes=scopes, sellers=["SELLER-A"])

    response = await client.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert doc == await _orm_view(db, ticket.id, caller)
    assert [e["kind"] for e in doc["timeline"]] == ["note", "signal"]
    assert doc["order"]["order_amount"] == "12.50"
    assert doc["timeline"][1]["occurred_at"].endswith(".123456Z")
    assert (doc["pii"] is not None) is (TICKETS_READ in scopes)


async def test_list_pages_follow_the_sort_with_ties_and_null_due_dates(
    client: httpx.AsyncClient, db: Database
) -> None:
    due = [None, T0, T0 + timedelta(hours=1), None, T0]
    rows = []
    for i, d in enumerate(due):
        ticket = await add_ticket(db, created_at=T0 + timedelta(minutes=i % 2), due_at=d)
        rows.append((str(ticket.id), ticket.created_at, d))
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    by_id = sorted(rows, key=lambda r: r[0])
    expected = {
        # ties break by id in the sort's direction; null due dates come last either way
        ("created_at", "desc"): sorted(rows, key=lambda r: (r[1], r[0]), reverse=True),
        ("due_at", "asc"): sorted(by_id, key=lambda r: (r[2] is None, r[2] or T0)),
    }
    for (sort, order), want in expected.items():
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"sort": sort, "order": order, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/tickets", params=params, headers=bearer(key))).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [r[0] for r in want]


async def test_list_items_match_the_orm_summary(client: httpx.AsyncClient, db: Database) -> None:
    tagged = await add_ticket(
        db,
        tags=[{"name": "fragile", "confidence": 0.8, "source": "model"}],
        priority="P2",
        priority_override="P1",
        due_at=T0 + timedelta(hours=1),
        model_version="m-1",
    )
    plain = await add_ticket(db, created_at=T0 - timedelta(minutes=1), status="replied", due_at=T0)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])

    page = (await client.get("/v1/tickets", headers=bearer(key))).json()

    async with unit_of_work(db) as session:
        want = [
            summary_of(await session.get_one(Ticket, t.id), now=T0, window=timedelta(hours=4)).model_dump(
                mode="json"
            )
            for t in (tagged, plain)
        ]
    assert page == {"items": want, "next_cursor": None}
    assert page["items"][0]["priority"] == "P1"
    assert page["items"][0]["tags"] == [{"name": "fragile", "confidence": 0.8}]


async def test_sla_state_of_list_items_is_the_python_rule_at_every_boundary(
    client: httpx.AsyncClient, db: Database, api_settings: ApiSettings
) -> None:
    # The list computes sla_state in SQL (one CASE per row); it must agree with sla.sla_state exactly,
    # including at the deadline and at the edge of the due-soon window.
    window = timedelta(hours=api_settings.sla_window_hours)
    tick = timedelta(microseconds=1)
    dues = [None, T0 - tick, T0, T0 + tick, T0 + window, T0 + window + tick]
    expected = {}
    for status in ("new", "awaiting_reply", "escalated", "replied", "resolved", "no_response_needed"):
        for due in dues:
            ticket = await add_ticket(db, status=status, due_at=due)
            expected[str(ticket.id)] = sla_state(status=status, due_at=due, now=T0, window=window)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])

    page = (await client.get("/v1/tickets", params={"limit": 100}, headers=bearer(key))).json()

    assert {item["id"]: item["sla_state"] for item in page["items"]} == expected
    assert set(expected.values()) == {"none", "answered", "breached", "due_soon", "ok"}
