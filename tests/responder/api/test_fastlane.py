"""The fast lane answers exactly what FastAPI's routes answer, and hands FastAPI whatever it does not serve."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from services.responder.api.fastlane import TicketReadsLane
from services.responder.api.security import REPLIES_SEND, STATS_READ, TICKETS_READ, TICKETS_WRITE
from shared.db.session import Database
from tests.responder.api.helpers import T0, add_event, add_key, add_outbox, add_ticket, bearer


class _Counting:
    """The FastAPI app, counting the HTTP requests that reach it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state
        self.http = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.http += scope["type"] == "http"
        await self.app(scope, receive, send)


@pytest_asyncio.fixture
async def both(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, _Counting]]:
    counting = _Counting(app)
    lane = TicketReadsLane(counting)  # type: ignore[arg-type]  # duck-typed: the lane reads .state only
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=lane), base_url="http://api") as fast,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as plain,
    ):
        yield fast, plain, counting


async def _seed(db: Database) -> dict[str, Any]:
    tickets = []
    for i in range(5):
        ticket = await add_ticket(
            db,
            created_at=T0 - timedelta(minutes=i),
            status=("new", "replied", "escalated")[i % 3],
            priority=("P1", "P2", "P3")[i % 3],
            due_at=None if i == 4 else T0 + timedelta(hours=i - 2),
            tags=[{"name": "fragile", "confidence": 0.5 + i / 10}],
            asin="B000000001",
            order_id=f"111-000000{i}-0000001",
        )
        tickets.append(ticket)
    await add_event(db, tickets[0].id, kind="signal", occurred_at=T0, pii={"text": "nie angekommen"})
    await add_outbox(db, tickets[0], status="sent", created_at=T0 + timedelta(minutes=3))
    other = await add_ticket(db, seller_id="SELLER-B")
    return {
        "ids": [str(t.id) for t in tickets],
        "foreign": str(other.id),
        "reader": await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ]),
        "writer": await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE]),
        "sender": await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND, STATS_READ]),
    }


def _requests(seed: dict[str, Any]) -> list[tuple[str, dict[str, str], bool]]:
    """(path, headers, served by the lane)."""
    reader, writer, sender = bearer(seed["reader"]), bearer(seed["writer"]), bearer(seed["sender"])
    first = seed["ids"][0]
    return [
        ("/v1/tickets", reader, True),
        ("/v1/tickets?limit=2", reader, True),
        ("/v1/tickets?status=new&status=escalated&sort=due_at&order=asc", reader, True),
        ("/v1/tickets?priority=P1&asin=B000000001&tag=fragile&limit=1&limit=3", reader, True),
        ("/v1/tickets?sla=breached", reader, True),
        ("/v1/tickets?due_within_hours=5&sort=priority", reader, True),
        ("/v1/tickets?seller_id=SELLER-B", reader, True),  # 403 seller_not_allowed, from the service
        ("/v1/tickets?cursor=bm90LWEtY3Vyc29y", reader, True),  # 400 invalid_cursor
        (f"/v1/tickets/{first}", reader, True),
        (f"/v1/tickets/{first}", writer, True),  # no PII without tickets:read
        ("/v1/tickets", sender, True),  # 403 insufficient_scope: no ticket reads without a ticket scope
        (f"/v1/tickets/{first}", sender, True),
        (f"/v1/tickets/{first.upper()}", reader, True),
        (f"/v1/tickets/{seed['foreign']}", reader, True),  # another tenant's id: 404
        (f"/v1/tickets/{uuid.uuid4()}", reader, True),
        ("/v1/tickets?limit=0", reader, False),  # 422 from FastAPI
        ("/v1/tickets?created_from=yesterday", reader, False),
        ("/v1/tickets", {}, False),  # 401
        ("/v1/tickets", {"Authorization": "Basic abc"}, False),
        ("/v1/tickets", bearer("cpk_00000000_" + "x" * 40), False),  # unknown key: 401
        (f"/v1/tickets/{first.replace('-', '')}", reader, False),  # not canonical: FastAPI parses it
        ("/v1/tickets/not-a-uuid", reader, False),
        ("/v1/tickets/", reader, False),
        ("/v1/ticketsx", reader, False),
    ]


async def test_the_lane_answers_like_the_routes_and_falls_through_otherwise(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient, _Counting], db: Database
) -> None:
    fast, plain, counting = both
    seed = await _seed(db)
    for path, headers, served in _requests(seed):
        before = counting.http
        got = await fast.get(path, headers=headers)
        want = await plain.get(path, headers=headers)
        assert (counting.http - before == 0) is served, path
        assert got.status_code == want.status_code, path
        assert got.content == want.content or got.json() == want.json(), path
        for header in ("content-type", "etag", "www-authenticate", "retry-after"):
            assert got.headers.get(header) == want.headers.get(header), (path, header)


async def test_pages_through_the_lane_walk_every_ticket_once(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient, _Counting], db: Database
) -> None:
    fast, _, counting = both
    seed = await _seed(db)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", "sort": "due_at", **({"cursor": cursor} if cursor else {})}
        page = (await fast.get("/v1/tickets", params=params, headers=bearer(seed["reader"]))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(seed["ids"])
    assert counting.http == 0


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_other_methods_go_to_fastapi(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient, _Counting], method: str
) -> None:
    fast, _, counting = both
    await fast.request(method, "/v1/tickets")
    assert counting.http == 1
