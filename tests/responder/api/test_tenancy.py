"""A key bound to seller A never reads or changes seller B's data, also through guessed ids."""

from __future__ import annotations

import httpx

from services.responder.api.security import ADMIN, TICKETS_READ
from shared.db.session import Database
from tests.responder.api.helpers import add_key, add_ticket, bearer


async def test_other_tenants_ticket_is_not_found_for_every_verb(
    client: httpx.AsyncClient, db: Database
) -> None:
    mine = await add_ticket(db, seller_id="SELLER-A")
    theirs = await add_ticket(db, seller_id="SELLER-B", buyer_hash="b" * 64)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[ADMIN])
    auth = bearer(key)

    assert (await client.get(f"/v1/tickets/{mine.id}", headers=auth)).status_code == 200
    read = await client.get(f"/v1/tickets/{theirs.id}", headers=auth)
    assert read.status_code == 404
    assert read.json()["error"]["code"] == "ticket_not_found"
    patch = await client.patch(
        f"/v1/tickets/{theirs.id}", json={"status": "closed"}, headers={**auth, "If-Match": '"1"'}
    )
    assert patch.status_code == 404
    reply = await client.post(f"/v1/tickets/{theirs.id}/replies", json={"text": "Hello"}, headers=auth)
    assert reply.status_code == 404
    preview = await client.post(
        "/v1/templates/email/not_received/en/preview", json={"ticket_id": str(theirs.id)}, headers=auth
    )
    assert preview.status_code == 404

    listed = (await client.get("/v1/tickets", headers=auth)).json()["items"]
    assert [t["id"] for t in listed] == [str(mine.id)]
    foreign = await client.get("/v1/tickets", params={"seller_id": "SELLER-B"}, headers=auth)
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "seller_not_allowed"
    assert (await client.get("/v1/stats", params={"seller_id": "SELLER-B"}, headers=auth)).status_code == 403
    assert (await client.get(f"/v1/buyers/{'b' * 64}", headers=auth)).status_code == 404


async def test_a_key_for_both_sellers_sees_both(client: httpx.AsyncClient, db: Database) -> None:
    a = await add_ticket(db, seller_id="SELLER-A")
    b = await add_ticket(db, seller_id="SELLER-B")
    key = await add_key(db, sellers=["SELLER-A", "SELLER-B"], scopes=[TICKETS_READ])
    listed = (await client.get("/v1/tickets", headers=bearer(key))).json()["items"]
    assert {t["id"] for t in listed} == {str(a.id), str(b.id)}
    only_b = (await client.get("/v1/tickets", params={"seller_id": "SELLER-B"}, headers=bearer(key))).json()
    assert [t["id"] for t in only_b["items"]] == [str(b.id)]
