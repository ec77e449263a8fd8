"""Keyset pagination: every ticket exactly once per sort order, stable while rows are added, opaque cursors."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.responder.api.security import TICKETS_READ
from shared.db.session import Database
from tests.responder.api.helpers import T0, add_key, add_ticket, bearer


async def _pages(client: httpx.AsyncClient, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/tickets", params=query, headers=bearer(key))
        assert r.status_code == 200, r.text
        doc = r.json()
        items.extend(doc["items"])
        cursor = doc["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sellers", [["SELLER-A"], ["SELLER-A", "SELLER-B", "SELLER-C"]])
@pytest.mark.parametrize(
    ("sort", "order"),
    [("created_at", "desc"), ("due_at", "asc"), ("due_at", "desc"), ("priority", "asc")],
)
async def test_every_ticket_once_in_sort_order(
    client: httpx.AsyncClient, db: Database, sort: str, order: str, sellers: list[str]
) -> None:
    for i in range(17):
        # Few distinct values: ties on the sort key must be broken by id, and null due dates sort last.
        # With several sellers the pages merge one ordered walk per seller.
        await add_ticket(
            db,
            seller_id=sellers[i % len(sellers)],
            created_at=T0 + timedelta(minutes=i % 4),
            due_at=None if i % 5 == 0 else T0 + timedelta(hours=i % 3),
            priority=f"P{1 + i % 4}",
        )
    await add_ticket(db, seller_id="SELLER-Z")  # not the key's: never listed
    key = await add_key(db, sellers=sellers, scopes=[TICKETS_READ])
    items = await _pages(client, key, sort=sort, order=order, limit=4)
    ids = [t["id"] for t in items]
    assert len(ids) == len(set(ids)) == 17
    descending = order == "desc"
    values = [t[sort] for t in items]
    non_null = [v for v in values if v is not None]
    assert non_null == sorted(non_null, reverse=descending)
    assert values[len(non_null) :] == [None] * (len(values) - len(non_null))  # nulls last either way
    for a, b in itertools.pairwise(items):
        if a[sort] == b[sort]:
            assert (a["id"] > b["id"]) if descending else (a["id"] < b["id"])


async def test_rows_added_during_paging_do_not_shift_pages(client: httpx.AsyncClient, db: Database) -> None:
    for i in range(9):
        await add_ticket(db, created_at=T0 + timedelta(minutes=i))
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    first = (await client.get("/v1/tickets", params={"limit": 4}, headers=bearer(key))).json()
    await add_ticket(db, created_at=T0 + timedelta(hours=1))  # newer than everything: belongs on page one
    await add_ticket(db, created_at=T0 - timedelta(hours=1))  # older than everything: still to come
    rest = await _pages(client, key, limit=4, cursor=first["next_cursor"])
    seen = [t["id"] for t in first["items"]] + [t["id"] for t in rest]
    assert len(seen) == len(set(seen)) == 10
    assert [t["created_at"] for t in rest][-1] == (T0 - timedelta(hours=1)).isoformat().replace("+00:00", "Z")


async def test_bad_or_foreign_cursor_is_400(client: httpx.AsyncClient, db: Database) -> None:
    for i in range(3):
        await add_ticket(db, created_at=T0 + timedelta(minutes=i))
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    page = (await client.get("/v1/tickets", params={"limit": 1}, headers=bearer(key))).json()
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": "e30"},  # '{}'
        {"cursor": page["next_cursor"], "sort": "updated_at"},
        {"cursor": page["next_cursor"], "order": "asc"},
    ):
        r = await client.get("/v1/tickets", params=params, headers=bearer(key))
        assert r.status_code == 400, params
        assert r.json()["error"]["code"] == "invalid_cursor"
