"""An A-to-z claim with everything its evidence pack shows: tracking through the responder's own handler,
the buyer's messages, Amazon's claim notice, a sent reply with its outcome, a refund notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from services.responder.handlers import handle_order_context
from services.responder.tables import Ticket
from services.responder.tickets.sla import A_TO_Z_RULE
from shared.db.session import Database, unit_of_work
from shared.events import OrderContextUpdated, SignalSource, event_id_for
from tests.responder.api.helpers import T0, add_event, add_order, add_outbox, add_ticket

__all__ = ["BUYER_TEXT", "CLAIM_AT", "ORDER", "REPLY", "TRACKING", "Claim", "seed_claim"]

ORDER = "114-7654321-1234567"
TRACKING = "1ZEVIDENCE0000001"
BUYER_TEXT = "The box never came, I want my money back."
REPLY = "Hello, the carrier shows your parcel delivered on 24 February at the front door. Kind regards"
CLAIM_AT = T0 - timedelta(hours=10)


@dataclass(frozen=True)
class Claim:
    """The claim's ticket and the id of its sent reply."""

    ticket: Ticket
    reply_id: uuid.UUID


def _tracking(code: str, at_days: int, history: list[tuple[str, int]]) -> OrderContextUpdated:
    at = T0 - timedelta(days=at_days)
    dedup = f"trk:{ORDER}:{code}"
    return OrderContextUpdated(
        event_id=event_id_for(dedup),
        occurred_at=at,
        seller_id="SELLER-A",
        marketplace_id="ATVPDKIKX0DER",
        order_id=ORDER,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.SQS,
        notification_type="SHIPMENT_TRACKING_MILESTONE_CHANGED",
        tracking_milestone=code,
        tracking_number=TRACKING,
        carrier="UPS",
        details={
            "occurredAt": at.isoformat(),
            "description": f"carrier says {code.lower()}",
            "milestoneHistory": [
                {"code": c, "occurredAt": (T0 - timedelta(days=d)).isoformat()} for c, d in history
            ],
        },
    )


async def seed_claim(db: Database, *, seller_id: str = "SELLER-A") -> Claim:
    """An A-to-z claim 10 h old about a parcel the carrier delivered on time 6 days ago."""
    await add_order(
        db,
        seller_id=seller_id,
        order_id=ORDER,
        marketplace_id="ATVPDKIKX0DER",
        latest_delivery_date=T0 - timedelta(days=5),
        purchase_date=T0 - timedelta(days=10),
        order_status="Shipped",
        carrier="UPS",
        order_amount=49.90,
        currency="USD",
    )
    async with unit_of_work(db) as session:
        # the history arrives twice (each notification repeats it): each milestone is kept once
        await handle_order_context(_tracking("IN_TRANSIT", 8, [("SHIPPED", 9)]), session=session)
        await handle_order_context(
            _tracking("DELIVERED", 6, [("IN_TRANSIT", 8), ("SHIPPED", 9)]), session=session
        )
    ticket = await add_ticket(
        db,
        seller_id=seller_id,
        order_id=ORDER,
        thread_key=f"order:{ORDER}",
        asin="B0EVIDENCE",
        sku="LAMP-01",
        priority="P1",
        reasons=[{"rule_id": A_TO_Z_RULE, "detail": "A-to-z claim", "weight": 1.0}],
        due_at=CLAIM_AT + timedelta(hours=72),
        created_at=T0 - timedelta(days=2),
    )
    await add_event(
        db,
        ticket.id,
        kind="signal",
        occurred_at=T0 - timedelta(days=2),
        data={"kind": "buyer_message", "source": "email", "attachments": []},
        pii={"text": BUYER_TEXT, "subject": "Where is my parcel?"},
    )
    reply_id = await add_outbox(db, ticket, status="sent", body=REPLY, created_at=T0 - timedelta(days=1))
    await add_event(
        db,
        ticket.id,
        kind="reply_sent",
        occurred_at=T0 - timedelta(days=1),
        data={"outbox_id": str(reply_id), "channel": "email", "error": None},
    )
    await add_event(
        db,
        ticket.id,
        kind="signal",
        occurred_at=CLAIM_AT,
        data={"kind": "a_to_z_claim", "source": "email", "a_to_z_claim": True, "notice_type": "AtoZ"},
        pii={"text": "", "subject": "A-to-z Guarantee claim"},
    )
    await add_event(
        db,
        ticket.id,
        kind="signal",
        occurred_at=CLAIM_AT + timedelta(hours=1),
        data={"kind": "refund_issued", "source": "email"},
        pii={"text": "", "subject": "Refund issued"},
    )
    return Claim(ticket, reply_id)
