"""Stalled shipments: a proactive ticket with the carrier facts and a drafted unexpectedProblem message when
Amazon offers it, one per order, joined by the buyer's later message; delivered or moving parcels are left be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.responder.settings import ResponderSettings
from services.responder.shipments.milestones import milestones_of
from services.responder.shipments.repository import ShipmentFacts
from services.responder.shipments.stalled import StalledRule, stalled_reason
from services.responder.tables import OutboxMessage, Ticket
from services.responder.workers.stalled import StalledCheck
from shared.db.session import Database
from shared.events import OrderContextUpdated, SignalSource, event_id_for
from shared.stack.spapi_standin import StandinHandle
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    deps,
    new_order_id,
    new_sellers,
    spapi_client,
    timeline_kinds,
)
from tests.responder.support import classified

TRACKING = "1ZSTALLED00000001"


def _tracking(seller: str, order: str, code: str, at: datetime, carrier: str = "UPS") -> OrderContextUpdated:
    key = f"trk:{order}:{code}:{at.isoformat()}"
    return OrderContextUpdated(
        event_id=event_id_for(key),
        occurred_at=at,
        seller_id=seller,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order,
        dedup_key=key,
        correlation_id=key,
        source=SignalSource.SQS,
        notification_type="SHIPMENT_TRACKING_MILESTONE_CHANGED",
        tracking_milestone=code,
        tracking_number=TRACKING,
        carrier=carrier,
        details={"occurredAt": at.isoformat()},
    )


def _order(
    seller: str, order: str, *, latest_delivery: datetime, at: datetime, fulfillment: str = "MFN"
) -> OrderContextUpdated:
    key = f"order:{order}"
    return OrderContextUpdated(
        event_id=event_id_for(key),
        occurred_at=at,
        seller_id=seller,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order,
        dedup_key=key,
        correlation_id=key,
        source=SignalSource.SQS,
        notification_type="ORDER_CHANGE",
        order_status="Shipped",
        fulfillment_type=fulfillment,
        latest_delivery_date=latest_delivery,
    )


def test_the_most_specific_carrier_and_marketplace_threshold_wins() -> None:
    rule = StalledRule(4.0, {"DHL": 10.0, "UPS|A1PA6795UKMFR9": 2.0, "A1PA6795UKMFR9": 6.0})
    assert rule.days(carrier="dhl", marketplace_id="ATVPDKIKX0DER") == 10.0
    assert rule.days(carrier="UPS", marketplace_id="A1PA6795UKMFR9") == 2.0
    assert rule.days(carrier="GLS", marketplace_id="A1PA6795UKMFR9") == 6.0
    assert rule.days(carrier=None, marketplace_id=None) == 4.0
    assert rule.shortest() == 2.0
    now = datetime(2030, 1, 10, tzinfo=UTC)
    facts = ShipmentFacts("S", "O", "ATVPDKIKX0DER", "UPS", None, "IN_TRANSIT", now - timedelta(days=3), None)
    assert stalled_reason(facts, rule=rule, now=now) is None
    assert stalled_reason(facts, rule=StalledRule(2.5), now=now) == "no_movement"


@pytest.mark.integration
async def test_stalled_orders_get_one_proactive_ticket_and_a_draft_the_buyer_joins(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    seller = next(iter(sellers))
    now = datetime.now(UTC)
    silent, late, delivered, moving, slow_carrier, untracked, fba = (new_order_id() for _ in range(7))
    state.add_order(silent, seller)
    state.add_order(late, seller, actions=["confirmDeliveryDetails"])  # no unexpectedProblem on offer
    await apply(
        db,
        _tracking(seller, silent, "SHIPPED", now - timedelta(days=6)),
        _tracking(seller, silent, "IN_TRANSIT", now - timedelta(days=5)),
        _order(seller, late, latest_delivery=now - timedelta(days=2), at=now - timedelta(days=7)),
        _tracking(seller, late, "IN_TRANSIT", now - timedelta(days=1)),
        _tracking(seller, delivered, "SHIPPED", now - timedelta(days=9)),
        _tracking(seller, delivered, "DELIVERED", now - timedelta(days=6)),
        _tracking(seller, moving, "IN_TRANSIT", now - timedelta(hours=20)),
        _tracking(seller, slow_carrier, "IN_TRANSIT", now - timedelta(days=6), carrier="DHL"),
        # no tracking notifications at all: nothing says it stalled
        _order(seller, untracked, latest_delivery=now - timedelta(days=2), at=now - timedelta(days=7)),
        # fulfilled by Amazon: Amazon answers for the delivery
        _order(
            seller,
            fba,
            latest_delivery=now - timedelta(days=2),
            at=now - timedelta(days=7),
            fulfillment="AFN",
        ),
        _tracking(seller, fba, "IN_TRANSIT", now - timedelta(days=6)),
    )
    settings = ResponderSettings(stalled_after_days=4, stalled_after_days_by={"DHL": 10})
    start = len(state.requests)
    async with spapi_client(standin, sellers) as client:
        check = StalledCheck(
            db=db, actions=client, composer=deps().composer, settings=settings, cipher=CIPHER
        )
        opened = await check.pass_once(now=now)
        assert len(opened) == 2
        assert await check.pass_once(now=now + timedelta(hours=1)) == []  # one proactive ticket per order
    asked = [r for r in state.requests[start:] if r.operation == "getMessagingActionsForOrder"]
    assert len(asked) == 2
    assert all(not r.operation.startswith("create") for r in state.requests[start:])  # nothing sent

    async with db.sessions() as session:
        tickets = {
            t.order_id: t
            for t in (await session.execute(select(Ticket).where(Ticket.seller_id == seller))).scalars()
        }
        rows = list(
            (await session.execute(select(OutboxMessage).where(OutboxMessage.seller_id == seller))).scalars()
        )
        kinds = await timeline_kinds(session, tickets[silent])
    assert set(tickets) == {silent, late}
    ticket = tickets[silent]
    assert ticket.thread_key == f"order:{silent}"
    assert [t["name"] for t in ticket.tags] == ["stalled_shipment"]
    assert kinds == ["stalled_shipment", "reply_queued"]
    (draft,) = rows
    assert (draft.ticket_id, draft.status, draft.channel, draft.action) == (
        ticket.id,
        "draft",
        "messaging",
        "unexpectedProblem",
    )
    body = CIPHER.decrypt(draft.body_enc) or ""
    assert silent in body
    assert TRACKING in body

    # The buyer writes later: the message joins the proactive ticket, no second ticket for the order.
    await apply(db, classified(seller_id=seller, order_id=silent, text="Where is my parcel?"))
    async with db.sessions() as session:
        same = list((await session.execute(select(Ticket).where(Ticket.order_id == silent))).scalars())
    assert [t.id for t in same] == [ticket.id]
    assert same[0].message_count == 1


def test_milestones_from_a_notification_are_bounded_deduplicated_and_ordered() -> None:
    at = datetime(2030, 1, 5, 9, tzinfo=UTC)
    history: list[object] = [
        {"code": "in_transit", "occurredAt": (at - timedelta(days=1)).isoformat()},
        {"code": "SHIPPED", "occurredAt": (at - timedelta(days=2)).isoformat()},
        {"code": "SHIPPED", "occurredAt": (at - timedelta(days=2)).isoformat()},  # repeated
        {"code": "LOST", "occurredAt": "not a time"},
        {"code": "LOST", "occurredAt": "2030-01-05T09:00:00"},  # no zone: which instant is unknown
        {"code": "", "occurredAt": at.isoformat()},
        "not an object",
        {"code": "X" * 500, "occurredAt": (at - timedelta(hours=1)).isoformat()},
    ]
    history += [
        {"code": "IN_TRANSIT", "occurredAt": (at - timedelta(days=30, minutes=i)).isoformat()}
        for i in range(500)
    ]
    event = _tracking("S", "O", "DELIVERED", at)
    event = event.model_copy(update={"details": {"occurredAt": at.isoformat(), "milestoneHistory": history}})
    found = milestones_of(event)
    assert [m.code for m in found if m.occurred_at >= at - timedelta(days=2)] == [
        "SHIPPED",
        "IN_TRANSIT",
        "X" * 64,
        "DELIVERED",
    ]
    assert len(found) <= 201  # the latest plus at most 200 of the history
    assert all(m.tracking_number == TRACKING for m in found)
