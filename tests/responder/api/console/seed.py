"""Two sellers' tickets for the console tests: a buyer message with the classifier's offsets, and a key each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.responder.api.security import (
    REPLIES_SEND,
    STATS_READ,
    TEMPLATES_READ,
    TICKETS_READ,
    TICKETS_WRITE,
)
from services.responder.tables import Ticket
from shared.db.session import Database
from tests.responder.api.helpers import T0, add_event, add_key, add_ticket

__all__ = ["GOOD", "MESSAGE", "ORDER", "PHRASE", "Seeded", "seed"]

ORDER = "111-2223334-4445556"
PHRASE = "never arrived"
MESSAGE = f"Hello, I ordered a lamp two weeks ago and it {PHRASE}. Where is my parcel?"
GOOD = (
    f"Hello, we are sorry that your order {ORDER} has not arrived yet. We have asked the carrier to trace "
    "the parcel and will write again within two days. Kind regards, Northwind Home"
)
SCOPES = (TICKETS_READ, TICKETS_WRITE, REPLIES_SEND, TEMPLATES_READ, STATS_READ)


@dataclass(frozen=True)
class Seeded:
    """What the tests act on."""

    late: Ticket
    defective: Ticket
    foreign: Ticket
    key_a: str
    key_b: str


async def seed(db: Database) -> Seeded:
    """SELLER-A: a P1 parcel that never arrived (4 h 12 m left) and a defective item (overdue); SELLER-B: one."""
    start = MESSAGE.index(PHRASE)
    reason = {
        "rule_id": "text.feature",
        "detail": f"{PHRASE!r} -> not_received",
        "weight": 1.2,
        "start": start,
        "end": start + len(PHRASE),
    }
    abuse = {"rule_id": "abuse.returns_90d", "detail": "4 returns in 90 days", "weight": 0.4}
    late = await add_ticket(
        db,
        confidence=0.97,
        reasons=[reason, abuse],
        buyer_hash="b" * 64,
        abusive_score=0.81,
        order_id=ORDER,
        priority="P1",
        category="not_received",
        due_at=T0 + timedelta(hours=4, minutes=12),
        last_message_id="<m1@relay.example>",
    )
    await add_event(db, late.id, kind="signal", pii={"text": MESSAGE, "subject": "Where is my parcel?"})
    await add_event(
        db,
        late.id,
        kind="classification",
        data={"category": "not_received", "reasons": [reason]},
    )
    defective = await add_ticket(
        db,
        category="defective",
        priority="P3",
        due_at=T0 - timedelta(hours=2),
        status="awaiting_reply",
        created_at=T0 - timedelta(days=1),
        buyer_hash="b" * 64,
    )
    foreign = await add_ticket(
        db, seller_id="SELLER-B", category="not_as_described", due_at=T0 + timedelta(hours=1)
    )
    key_a = await add_key(db, sellers=["SELLER-A"], scopes=SCOPES, name="agent-ana")
    key_b = await add_key(db, sellers=["SELLER-B"], scopes=SCOPES, name="agent-ben")
    return Seeded(late, defective, foreign, key_a, key_b)
