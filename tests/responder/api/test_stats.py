"""GET /v1/stats on seeded data: every figure computed by hand below, other sellers and dates excluded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from services.responder.api.security import STATS_READ
from services.responder.tables import OutboxMessage, Ticket
from shared.db.session import Database, unit_of_work
from tests.responder.api.conftest import Clock
from tests.responder.api.helpers import T0, add_event, add_key, add_outbox, add_ticket, bearer

H = timedelta(hours=1)
D = timedelta(days=1)
DE = "A1PA6795UKMFR9"


def _r(rule_id: str, detail: str = "") -> dict[str, Any]:
    return {"rule_id": rule_id, "detail": detail, "weight": None}


async def _ticket(
    db: Database, *, created: Any, due: Any, reasons: list[dict[str, Any]], **fields: Any
) -> Ticket:
    ticket = await add_ticket(db, created_at=created, due_at=due, reasons=reasons, **fields)
    await add_event(
        db, ticket.id, kind="classification", occurred_at=created, data={"due_at": due.isoformat()}
    )
    return ticket


async def _seed(db: Database) -> None:
    t1 = await _ticket(
        db, created=T0, due=T0 + 24 * H, priority="P2", asin="A1", sku="S1", status="replied",
        first_response_at=T0 + H,
        reasons=[_r("tracking.delivered_not_received"), _r("priority.high_value"), _r("text.feature", "'never arrived' -> not_received"), _r("language.detected", "en")],
    )  # fmt: skip
    await add_outbox(db, t1, created_by="auto", status="sent")
    await add_event(db, t1.id, kind="signal", occurred_at=T0, data={"return_reason": "no_longer_needed"})
    t2 = await _ticket(
        db, created=T0 + D, due=T0 + D + 2 * H, priority="P1", category="defective", asin="A1", sku="S2",
        status="replied", first_response_at=T0 + D + 3 * H,
        reasons=[_r("signal.kind"), _r("priority.high_value"), _r("route.claim"), _r("text.feature", "'broken' -> defective"), _r("text.feature", "'never arrived' -> not_received")],
    )  # fmt: skip
    await add_outbox(db, t2, created_by="key:agent", status="sent")
    await add_event(db, t2.id, kind="signal", occurred_at=T0 + D, data={"return_reason": "defective"})
    await _ticket(
        db, created=T0 + 2 * D, due=T0 + 3 * D, priority="P3", priority_override="P1", marketplace_id=DE, asin="A2",
        reasons=[_r("tracking.delivered_not_received")],
    )  # fmt: skip
    await _ticket(
        db, created=T0 + 35 * D, due=T0 + 36 * D, asin="A1", status="no_response_needed",
        reasons=[_r("order.delivery_window_passed")],
    )  # fmt: skip
    # Neither another seller's ticket nor one outside the range may count.
    for seller, created in (("SELLER-B", T0), ("SELLER-A", T0 - 10 * D)):
        other = await _ticket(
            db, seller_id=seller, created=created, due=created + H, asin="A1", first_response_at=created + 9 * H,
            reasons=[_r("priority.high_value"), _r("text.feature", "'never arrived' -> not_received")],
        )  # fmt: skip
        await add_outbox(db, other, created_by="auto", status="sent")
        await add_event(db, other.id, kind="signal", occurred_at=created, data={"return_reason": "defective"})


def _rows(counts: list[dict[str, Any]]) -> set[tuple[str, str | None, int]]:
    return {(c["bucket"][:7], c["key"], c["count"]) for c in counts}


async def test_stats_numbers(client: httpx.AsyncClient, db: Database, clock: Clock) -> None:
    await _seed(db)
    clock.now = T0 + 45 * D
    key = await add_key(db, sellers=["SELLER-A"], scopes=[STATS_READ])
    params = {"from": (T0 - D).isoformat(), "to": (T0 + 40 * D).isoformat(), "bucket": "month"}
    r = await client.get("/v1/stats", params=params, headers=bearer(key))
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["from"].startswith("2026-03-01")
    assert s["bucket"] == "month"
    c = s["counts"]
    assert _rows(c["category"]) == {
        ("2026-03", "not_received", 2),
        ("2026-03", "defective", 1),
        ("2026-04", "not_received", 1),
    }
    assert _rows(c["priority"]) == {("2026-03", "P1", 2), ("2026-03", "P2", 1), ("2026-04", "P3", 1)}
    assert _rows(c["marketplace"]) == {
        ("2026-03", "ATVPDKIKX0DER", 2),
        ("2026-03", DE, 1),
        ("2026-04", "ATVPDKIKX0DER", 1),
    }
    assert _rows(c["asin"]) == {("2026-03", "A1", 2), ("2026-03", "A2", 1), ("2026-04", "A1", 1)}
    assert _rows(c["sku"]) == {
        ("2026-03", "S1", 1),
        ("2026-03", "S2", 1),
        ("2026-03", None, 1),
        ("2026-04", None, 1),
    }

    top = {
        (t["asin"], t["month"][:7]): [(x["rule_id"], x["count"]) for x in t["reasons"]]
        for t in s["top_reasons_per_asin"]
    }
    assert top == {
        ("A1", "2026-03"): [("priority.high_value", 2), ("route.claim", 1), ("signal.kind", 1)],
        ("A2", "2026-03"): [("tracking.delivered_not_received", 1)],
        ("A1", "2026-04"): [("order.delivery_window_passed", 1)],
    }
    assert {(k["bucket"][:7], k["keyword"], k["count"]) for k in s["keyword_trends"]} == {
        ("2026-03", "never arrived", 2),
        ("2026-03", "broken", 1),
    }
    assert s["first_response"] == {"answered": 2, "p50_seconds": 7200.0, "p90_seconds": 10080.0}
    # t1 answered in time, t2 late, t3 still unanswered past its deadline; t4 needs no answer.
    assert s["sla"] == {"measured": 3, "within": 1, "share": 0.3333}
    assert s["auto_reply"] == {"tickets": 4, "auto_replied": 1, "rate": 0.25}
    assert s["returns_by_reason"] == [
        {"reason": "defective", "count": 1},
        {"reason": "no_longer_needed", "count": 1},
    ]


async def test_stats_buckets_and_range_checks(client: httpx.AsyncClient, db: Database) -> None:
    await _seed(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[STATS_READ])
    params = {
        "from": (T0 - D).isoformat(),
        "to": (T0 + 3 * D).isoformat(),
        "bucket": "day",
        "marketplace_id": DE,
    }
    s = (await client.get("/v1/stats", params=params, headers=bearer(key))).json()
    assert _rows(s["counts"]["category"]) == {("2026-03", "not_received", 1)}
    assert s["counts"]["category"][0]["bucket"].startswith("2026-03-04")
    bad = await client.get(
        "/v1/stats", params={"from": T0.isoformat(), "to": (T0 - D).isoformat()}, headers=bearer(key)
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_range")


async def _solicitation(db: Database, seller: str, order: str, status: str, error: str | None = None) -> None:
    async with unit_of_work(db) as session:
        session.add(
            OutboxMessage(
                idempotency_key=f"solicitation:{seller}:{order}",
                ticket_id=None,
                seller_id=seller,
                marketplace_id="ATVPDKIKX0DER",
                order_id=order,
                channel="solicitation",
                action="productReviewAndSellerFeedback",
                status=status,
                last_error=error,
                created_at=T0 + D,
            )
        )


async def test_stats_count_review_requests_eligible_sent_and_skipped_by_reason(
    client: httpx.AsyncClient, db: Database
) -> None:
    for i, (status, error) in enumerate(
        [
            ("sent", None),
            ("sent", None),
            ("pending", None),
            ("unknown", "sender stopped mid-send; outcome unknown"),
            ("skipped", "cancelled: decided when scheduling"),
            ("skipped", "not_offered: Amazon does not offer a solicitation for this order now"),
            ("skipped", "not_offered: Amazon refused the solicitation"),
            ("skipped", "outside_window: claimed after 2026-04-01T00:00:00+00:00"),
        ]
    ):
        await _solicitation(db, "SELLER-A", f"111-0000000-000000{i}", status, error)
    await _solicitation(db, "SELLER-B", "111-0000000-0000099", "sent")  # another seller's: not counted
    key = await add_key(db, sellers=["SELLER-A"], scopes=[STATS_READ])
    params = {"from": T0.isoformat(), "to": (T0 + 3 * D).isoformat()}
    s = (await client.get("/v1/stats", params=params, headers=bearer(key))).json()
    assert s["solicitations"] == {
        "eligible": 4,
        "sent": 2,
        "pending": 1,
        "unknown": 1,
        "failed": 0,
        "skipped": {"cancelled": 1, "not_offered": 2, "outside_window": 1},
    }
