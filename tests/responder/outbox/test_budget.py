"""The daily send budget per seller: rows over it wait for the next UTC day, none is dropped."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from services.responder.outbox.budget import BudgetPolicy, SendBudget, budget_day, daily_limit, rows_to_defer
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.settings import MailSettings, ResponderSettings
from services.responder.tables import OutboxMessage
from shared.db.session import Database
from shared.events import OrderContextUpdated, SignalSource, event_id_for
from shared.stack.smtp import SmtpServer
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    new_order_id,
    outbox_rows,
    ticket_of,
    timeline_kinds,
)
from tests.responder.support import classified


def _seller() -> str:
    return f"A2B{uuid.uuid4().hex[:11].upper()}"


def _order_seen(seller: str, purchased: datetime) -> OrderContextUpdated:
    order = new_order_id()
    key = f"order:{order}"
    return OrderContextUpdated(
        event_id=event_id_for(key),
        occurred_at=purchased,
        seller_id=seller,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order,
        dedup_key=key,
        correlation_id=key,
        source=SignalSource.SQS,
        notification_type="ORDER_CHANGE",
        order_status="Shipped",
        purchase_date=purchased,
    )


def test_the_limit_is_five_per_average_daily_order_plus_600_unless_set() -> None:
    default = BudgetPolicy()
    assert daily_limit(default, "S", counted_orders=300) == 5 * 10 + 600  # 300 orders in 30 days
    assert daily_limit(default, "S", counted_orders=0) == 600
    custom = BudgetPolicy(per_order=2.0, base=10, average_daily_orders={"S": 7.5}, limits={"T": 3})
    assert daily_limit(custom, "S", counted_orders=900) == 2 * 7.5 + 10  # the seller's setting wins
    assert daily_limit(custom, "T", counted_orders=900) == 3  # an explicit limit wins over everything
    settings = ResponderSettings(send_budget_base=50, send_budget_limits={"T": 9})
    assert BudgetPolicy.from_settings(settings).limits == {"T": 9}
    assert daily_limit(BudgetPolicy.from_settings(settings), "U", counted_orders=60) == 5 * 2 + 50


@pytest.mark.integration
async def test_average_daily_orders_are_counted_from_the_last_30_days(db: Database) -> None:
    seller, now = _seller(), datetime.now(UTC)
    recent = [_order_seen(seller, now - timedelta(hours=11 * i)) for i in range(60)]  # within 30 days
    old = [_order_seen(seller, now - timedelta(days=40 + i)) for i in range(15)]
    await apply(db, *recent, *old)
    async with db.sessions() as session:
        limits = await SendBudget(BudgetPolicy()).limits(session, seller_ids=[seller], now=now)
    assert limits == {seller: 5 * 2 + 600}  # 60 orders / 30 days


@pytest.mark.integration
async def test_rows_over_the_daily_budget_wait_for_the_next_day_and_are_never_dropped(
    db: Database, smtp_server: SmtpServer
) -> None:
    capped, other = _seller(), _seller()
    complaints = [classified(seller_id=capped, order_id=new_order_id()) for _ in range(4)]
    complaints.append(classified(seller_id=other, order_id=new_order_id()))
    await apply(db, *complaints)
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    clock = [noon]
    sender = OutboxSender(
        db=db,
        transports={
            "email": SmtpTransport(MailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port))
        },
        cipher=CIPHER,
        config=SenderConfig(per_seller=10, budget=BudgetPolicy(limits={capped: 2})),
        clock=lambda: clock[0],
    )

    assert await sender.tick() == 3  # two of the capped seller, one of the other
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=[capped, other])
        waiting = [r for r in rows if r.status == "pending"]
        kinds = [await timeline_kinds(session, await ticket_of(session, r.order_id or "")) for r in waiting]
    assert Counter((r.seller_id, r.status) for r in rows) == Counter(
        {(capped, "sent"): 2, (capped, "pending"): 2, (other, "sent"): 1}
    )
    tomorrow = budget_day(noon)[1]
    assert {r.not_before for r in waiting} == {tomorrow}
    assert all(k[-1] == "reply_deferred" for k in kinds)
    assert len(smtp_server.messages) == 3

    # Later the same day a new complaint: the budget is still spent.
    late = classified(seller_id=capped, order_id=new_order_id())
    await apply(db, late)
    clock[0] = noon + timedelta(hours=6)
    assert await sender.tick() == 0
    assert len(smtp_server.messages) == 3

    clock[0] = tomorrow + timedelta(minutes=1)
    assert await sender.tick() == 2  # the limit again: the third waits one more day
    assert await sender.tick() == 0
    clock[0] = tomorrow + timedelta(days=1, minutes=1)
    assert await sender.tick() == 1
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=[capped, other])
    assert {r.status for r in rows} == {"sent"}
    recipients = Counter(m.rcpt_tos for m in smtp_server.messages)
    assert len(recipients) == len(complaints) + 1
    assert set(recipients.values()) == {1}


def test_only_automatic_rows_beyond_the_limit_are_deferred_newest_first() -> None:
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    rows = [
        OutboxMessage(seller_id="S", created_by="auto", created_at=start + timedelta(minutes=1)),
        OutboxMessage(seller_id="S", created_by="agent:ann", created_at=start + timedelta(minutes=2)),
        OutboxMessage(seller_id="S", created_by="auto", created_at=start + timedelta(minutes=3)),
        OutboxMessage(seller_id="T", created_by="auto", created_at=start),
    ]
    deferred = rows_to_defer(rows, used={"S": 5, "T": 1}, limits={"S": 3, "T": 1})
    assert deferred == [rows[2], rows[0]]  # a person's reply is never held back by the budget
