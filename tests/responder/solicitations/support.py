"""Helpers for the solicitation tests: ORDER_CHANGE context events, the responder's batch handler, a sender."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.responder.handlers import ResponderDeps, handle_batch
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.solicitation import SolicitationTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.solicitations.repository import CHANNEL
from services.responder.tables import OutboxMessage
from shared.db.session import Database, unit_of_work
from shared.events import OrderContextUpdated, SignalSource, event_id_for
from shared.kafka.typed import Consumed
from shared.spapi.client import SpApiClient
from shared.topics import AMAZON_EVENTS
from tests.responder.exactly_once_support import CIPHER

__all__ = ["DAY", "FAST", "apply_context", "order_change", "sender", "solicitation_rows"]

DAY = 7
FAST = SenderConfig(poll_interval_s=0.05, backoff_s=0.05, backoff_max_s=0.2, claim_gap_s=0.01)


def order_change(
    seller_id: str,
    order_id: str,
    *,
    earliest: datetime,
    latest: datetime | None = None,
    status: str = "Shipped",
    key: str | None = None,
    occurred_at: datetime | None = None,
) -> OrderContextUpdated:
    """An ORDER_CHANGE as ingest turns it into OrderContextUpdated (``key``: the notification id)."""
    dedup = key or f"sqs:{uuid.uuid4().hex}"
    return OrderContextUpdated(
        event_id=event_id_for(dedup),
        occurred_at=occurred_at or datetime.now(UTC),
        seller_id=seller_id,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order_id,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.SQS,
        notification_type="ORDER_CHANGE",
        order_status=status,
        earliest_delivery_date=earliest,
        latest_delivery_date=latest or earliest + timedelta(days=2),
    )


async def apply_context(
    db: Database,
    *events: OrderContextUpdated,
    now: datetime | None = None,
    only: frozenset[str] = frozenset(),
) -> None:
    """One consumer batch of context events through the responder's handler, with review requests on
    (``only``: for these sellers only)."""
    deps = ResponderDeps(
        cipher=CIPHER,
        composer=ReplyComposer(responder=ResponderSettings()),
        solicitation_day=DAY,
        solicitation_sellers=only,
    )
    records = [Consumed(e, AMAZON_EVENTS, 0, i, None, ()) for i, e in enumerate(events)]
    async with unit_of_work(db) as session:
        await handle_batch(records, session=session, deps=deps, now=now or datetime.now(UTC))


def sender(db: Database, client: SpApiClient, config: SenderConfig = FAST) -> OutboxSender:
    """An outbox sender with the solicitation transport only."""
    return OutboxSender(
        db=db, transports={CHANNEL: SolicitationTransport(client)}, cipher=CIPHER, config=config
    )


async def solicitation_rows(db: Database, order_ids: Iterable[str]) -> dict[str, OutboxMessage]:
    """The solicitation outbox rows of these orders (one each at most), by order id."""
    async with db.sessions() as session:
        stmt = select(OutboxMessage).where(
            OutboxMessage.channel == CHANNEL, OutboxMessage.order_id.in_(list(order_ids))
        )
        rows = (await session.execute(stmt)).scalars().all()
    out: dict[str, OutboxMessage] = {}
    for row in rows:
        assert row.order_id is not None
        assert row.order_id not in out, "two solicitation rows for one order"
        out[row.order_id] = row
    return out
