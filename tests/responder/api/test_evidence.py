"""GET /v1/tickets/{id}/evidence: a complete pack for an A-to-z claim, SAFE-T for an abusive return,
PII as on the ticket, 409 for other tickets and 404 across tenants."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.responder.api.security import TICKETS_READ, TICKETS_WRITE
from shared.db.session import Database
from tests.responder.api.evidence_seed import BUYER_TEXT, CLAIM_AT, ORDER, REPLY, TRACKING, seed_claim
from tests.responder.api.helpers import T0, add_key, add_ticket, bearer


async def test_an_a_to_z_claim_has_a_complete_pack(client: httpx.AsyncClient, db: Database) -> None:
    claim = await seed_claim(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    r = await client.get(f"/v1/tickets/{claim.ticket.id}/evidence", headers=bearer(key))
    assert r.status_code == 200, r.text
    pack = r.json()
    assert pack["kind"] == "a_to_z"
    assert pack["order_id"] == ORDER
    # the 72 h clock runs from Amazon's claim notice, not from the ticket's first message
    deadline = pack["deadline"]
    assert deadline["claim_received_at"] == CLAIM_AT.isoformat().replace("+00:00", "Z")
    assert deadline["respond_by"] == (CLAIM_AT + timedelta(hours=72)).isoformat().replace("+00:00", "Z")
    assert deadline["hours_left"] == 62.0
    assert deadline["overdue"] is False
    shipment = pack["shipment"]
    assert shipment["carrier"] == "UPS"
    assert shipment["tracking_number"] == TRACKING
    assert [m["code"] for m in shipment["milestones"]] == ["SHIPPED", "IN_TRANSIT", "DELIVERED"]
    assert shipment["delivered_at"] == (T0 - timedelta(days=6)).isoformat().replace("+00:00", "Z")
    assert shipment["delivered_on_time"] is True
    assert pack["order"]["order_status"] == "Shipped"
    assert pack["product"] == {"asin": "B0EVIDENCE", "sku": "LAMP-01"}
    assert [m["kind"] for m in pack["messages"]] == ["buyer_message", "a_to_z_claim", "refund_issued"]
    assert pack["messages"][0]["text"] == BUYER_TEXT
    assert [r["kind"] for r in pack["returns"]] == ["a_to_z_claim", "refund_issued"]
    assert pack["refunded"] is True
    (reply,) = pack["replies"]
    assert reply["reply"]["id"] == str(claim.reply_id)
    assert reply["reply"]["status"] == "sent"
    assert reply["reply"]["body"] == REPLY
    assert [o["kind"] for o in reply["outcomes"]] == ["reply_sent"]
    assert len(pack["timeline"]) == 4
    # nothing beyond what the ticket shows: no buyer alias anywhere in the pack
    assert "marketplace.amazon" not in r.text


async def test_without_tickets_read_no_message_text_and_no_pack_across_tenants(
    client: httpx.AsyncClient, db: Database
) -> None:
    claim = await seed_claim(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE])
    r = await client.get(f"/v1/tickets/{claim.ticket.id}/evidence", headers=bearer(key))
    assert r.status_code == 200, r.text
    pack = r.json()
    assert {m["text"] for m in pack["messages"]} == {None}
    assert pack["replies"][0]["reply"]["body"] is None
    assert BUYER_TEXT not in r.text
    other = await add_key(db, sellers=["SELLER-B"], scopes=[TICKETS_READ])
    r = await client.get(f"/v1/tickets/{claim.ticket.id}/evidence", headers=bearer(other))
    assert r.status_code == 404
    r = await client.get(f"/v1/tickets/{claim.ticket.id}/evidence")
    assert r.status_code == 401


async def test_abusive_return_gets_a_safe_t_pack_and_other_tickets_none(
    client: httpx.AsyncClient, db: Database
) -> None:
    returned = await add_ticket(
        db, category="return", tags=[{"name": "abusive_returner", "confidence": 0.9}], order_id="1"
    )
    plain = await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    r = await client.get(f"/v1/tickets/{returned.id}/evidence", headers=bearer(key))
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "safe_t"
    assert r.json()["deadline"] is None
    r = await client.get(f"/v1/tickets/{plain.id}/evidence", headers=bearer(key))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "not_a_claim"
