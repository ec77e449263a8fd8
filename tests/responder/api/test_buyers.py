"""GET /v1/buyers/{hash}: seller-scoped history and an explained abuse score."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from services.responder.api.security import TICKETS_READ
from services.responder.buyers.tables import BuyerHistoryRow
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import T0, add_key, add_ticket, bearer

BUYER = "f" * 64


async def _event(db: Database, *, seller: str, kind: str, reason: str, at: datetime) -> None:
    async with unit_of_work(db) as session:
        session.add(
            BuyerHistoryRow(
                event_id=uuid.uuid4(),
                buyer_hash=BUYER,
                seller_id=seller,
                kind=kind,
                reason=reason,
                occurred_at=at,
            )
        )


async def test_history_and_recomputed_score_count_only_the_callers_sellers(
    client: httpx.AsyncClient, db: Database
) -> None:
    for days in (1, 5, 10, 20):
        await _event(db, seller="SELLER-A", kind="return", reason="defective", at=T0 - timedelta(days=days))
    await _event(db, seller="SELLER-A", kind="a_to_z", reason="not_received", at=T0 - timedelta(days=40))
    for days in (2, 3, 4, 6, 7, 8):  # another tenant's returns must neither show nor raise the score
        await _event(
            db, seller="SELLER-B", kind="return", reason="no_longer_needed", at=T0 - timedelta(days=days)
        )
    ticket = await add_ticket(db, buyer_hash=BUYER)
    await add_ticket(db, seller_id="SELLER-B", buyer_hash=BUYER)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])

    r = await client.get(f"/v1/buyers/{BUYER}", headers=bearer(key))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert {e["seller_id"] for e in doc["events"]} == {"SELLER-A"}
    assert len(doc["events"]) == 5
    assert [t["id"] for t in doc["tickets"]] == [str(ticket.id)]
    h = doc["history"]
    assert (h["returns_30d"], h["returns_90d"], h["a_to_z_claims_365d"], h["contradicting_reasons_90d"]) == (
        4,
        4,
        1,
        1,
    )
    abuse = doc["abuse"]
    assert abuse["source"] == "recomputed"
    rules = {x["rule_id"]: x["weight"] for x in abuse["reasons"]}
    # returns_30d: 0.45 * (4-1)/3 = 0.45; returns_90d: 0.35 * (4-2)/6; contradicting: 0.5 * 1/2; noisy-OR.
    expected = 1 - (1 - 0.45) * (1 - 0.35 * 2 / 6) * (1 - 0.25)
    assert abs(abuse["score"] - expected) < 1e-3
    assert rules["abuse.returns_30d"] == 0.45
    assert abuse["abusive"] is (expected >= abuse["threshold"])


async def test_without_events_the_latest_tickets_score_is_shown(
    client: httpx.AsyncClient, db: Database
) -> None:
    reasons = [
        {"rule_id": "abuse.score", "detail": "at or over", "weight": 0.8},
        {"rule_id": "text.feature", "detail": "x"},
    ]
    await add_ticket(db, buyer_hash=BUYER, abusive_score=0.2, created_at=T0 - timedelta(days=3))
    await add_ticket(db, buyer_hash=BUYER, abusive_score=0.8, reasons=reasons)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    abuse = (await client.get(f"/v1/buyers/{BUYER}", headers=bearer(key))).json()["abuse"]
    assert (abuse["source"], abuse["score"], abuse["abusive"]) == ("latest_ticket", 0.8, True)
    assert [x["rule_id"] for x in abuse["reasons"]] == ["abuse.score"]
    unknown = await client.get(f"/v1/buyers/{'0' * 64}", headers=bearer(key))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "buyer_not_found")
