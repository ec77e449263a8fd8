"""The Zendesk stand-in keeps the contracts of Zendesk's API that the sync relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from shared.stack.zendesk_standin import ZendeskFault, ZendeskHandle, start_zendesk


@pytest_asyncio.fixture
async def api() -> AsyncIterator[tuple[ZendeskHandle, httpx.AsyncClient]]:
    handle = await start_zendesk()
    auth = (f"{handle.state.email}/token", handle.state.token)
    async with httpx.AsyncClient(base_url=handle.base_url, auth=auth, trust_env=False) as client:
        yield handle, client
    await handle.stop()


async def test_an_idempotency_key_returns_the_original_ticket_and_refuses_another_body(
    api: tuple[ZendeskHandle, httpx.AsyncClient],
) -> None:
    handle, client = api
    body = {"ticket": {"external_id": "t-1", "subject": "s", "comment": {"body": "hi", "public": False}}}
    key = {"Idempotency-Key": "k-1"}
    first = await client.post("/api/v2/tickets", json=body, headers=key)
    again = await client.post("/api/v2/tickets", json=body, headers=key)
    other = await client.post(
        "/api/v2/tickets", json={"ticket": {**body["ticket"], "subject": "x"}}, headers=key
    )

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 400)
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert (first.headers["x-idempotency-lookup"], again.headers["x-idempotency-lookup"]) == ("miss", "hit")
    assert len(handle.state.tickets) == 1
    found = await client.get("/api/v2/tickets", params={"external_id": "t-1"})
    assert [t["id"] for t in found.json()["tickets"]] == [first.json()["ticket"]["id"]]


async def test_updates_tags_fields_notes_and_the_rate_limit(
    api: tuple[ZendeskHandle, httpx.AsyncClient],
) -> None:
    handle, client = api
    created = await client.post("/api/v2/tickets", json={"ticket": {"tags": ["agent_tag", "cmp_a"]}})
    ticket_id = created.json()["ticket"]["id"]
    update = {
        "status": "solved",
        "additional_tags": ["cmp_b"],
        "remove_tags": ["cmp_a"],
        "custom_fields": [{"id": 7, "value": "123-1234567-1234567"}],
        "comment": {"body": "note", "public": False},
    }
    updated = (await client.put(f"/api/v2/tickets/{ticket_id}", json={"ticket": update})).json()["ticket"]
    comments = (await client.get(f"/api/v2/tickets/{ticket_id}/comments")).json()["comments"]

    assert updated["status"] == "solved"
    assert updated["tags"] == ["agent_tag", "cmp_b"]
    assert updated["custom_fields"] == [{"id": 7, "value": "123-1234567-1234567"}]
    assert [(c["body"], c["public"]) for c in comments] == [("note", False)]

    handle.state.faults.append(ZendeskFault(429, retry_after=17))
    throttled = await client.get("/api/v2/tickets/show_many", params={"ids": str(ticket_id)})
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "17")
    handle.state.per_minute = 0
    limited = await client.get("/api/v2/tickets/show_many", params={"ids": str(ticket_id)})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    async with httpx.AsyncClient(base_url=handle.base_url, trust_env=False) as anonymous:
        unauthenticated = await anonymous.get("/api/v2/tickets/show_many", params={"ids": "1"})
    assert unauthenticated.status_code == 401
