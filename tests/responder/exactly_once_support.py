"""Helpers for the exactly-once tests: the session's SP-API stand-in, sellers, a client, database polling."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.handlers import (
    ResponderDeps,
    handle_complaints,
    handle_order_context,
)
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintClassified, OrderContextUpdated, SignalKind, SignalSource, event_id_for
from shared.settings import SpApiSettings
from shared.spapi.calls import RetryPolicy
from shared.spapi.client import SpApiClient
from shared.stack import LocalStack
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, StandinHandle, StandinState
from tests.responder.support import classified

__all__ = [
    "CIPHER",
    "apply",
    "defective_orders",
    "deps",
    "eventually",
    "lost_parcel_context",
    "new_order_id",
    "new_sellers",
    "outbox_rows",
    "spapi_client",
    "standin_of",
    "ticket_of",
    "timeline_kinds",
]

CIPHER = PiiCipher("exactly-once-test-key")
T = TypeVar("T")


def standin_of(stack: LocalStack) -> StandinHandle:
    """The session's SP-API stand-in (with its state)."""
    assert stack.standin is not None, "the session stack runs without the SP-API stand-in"
    return cast(StandinHandle, stack.standin)


def new_sellers(state: StandinState, count: int) -> dict[str, str]:
    """Fresh sellers authorised in the stand-in: seller id -> refresh token."""
    sellers = {f"A2X{uuid.uuid4().hex[:11].upper()}": f"Atzr|{uuid.uuid4().hex}" for _ in range(count)}
    for seller_id, token in sellers.items():
        state.add_seller(seller_id, token)
    return sellers


def new_order_id() -> str:
    """A unique order id in Amazon's 3-7-7 shape."""
    digits = f"{uuid.uuid4().int % 10**17:017d}"
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"


def spapi_client(
    handle: StandinHandle, sellers: dict[str, str], *, retry: RetryPolicy | None = None
) -> SpApiClient:
    """A real client talking to the stand-in for ``sellers``."""
    settings = SpApiSettings(
        endpoint=handle.base_url,
        lwa_endpoint=handle.lwa_url,
        lwa_client_id=DEFAULT_CLIENT_ID,
        lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_tokens={seller: SecretStr(token) for seller, token in sellers.items()},
    )
    return SpApiClient(settings, retry=retry)


def deps(**responder: Any) -> ResponderDeps:
    """Handler dependencies with the test cipher."""
    settings = ResponderSettings(**responder)
    return ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=settings))


async def apply(db: Database, *events: ComplaintClassified | OrderContextUpdated) -> None:
    """Run the responder's handlers on ``events``, one transaction each, as the consumer loop would."""
    handler_deps = deps()
    for event in events:
        async with unit_of_work(db) as session:
            if isinstance(event, ComplaintClassified):
                await handle_complaints([event], session=session, deps=handler_deps, now=datetime.now(UTC))
            else:
                await handle_order_context(event, session=session)


async def defective_orders(
    db: Database, state: StandinState, sellers: Iterable[str], per_seller: int
) -> dict[str, str]:
    """``per_seller`` new orders for each seller, known to the stand-in, each a defective-item ticket; order -> seller."""
    orders = {new_order_id(): seller for seller in sellers for _ in range(per_seller)}
    for order, seller in orders.items():
        state.add_order(order, seller)
    await apply(
        db,
        *(
            classified(order_id=o, seller_id=s, kind=SignalKind.RETURN_REPORT_ROW, category="defective")
            for o, s in orders.items()
        ),
    )
    return orders


def lost_parcel_context(seller_id: str, order_id: str) -> OrderContextUpdated:
    """The carrier reports the parcel LOST (SHIPMENT_TRACKING_MILESTONE_CHANGED)."""
    key = f"tracking:{order_id}:LOST"
    return OrderContextUpdated(
        event_id=event_id_for(key),
        occurred_at=datetime.now(UTC),
        seller_id=seller_id,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order_id,
        dedup_key=key,
        correlation_id=key,
        source=SignalSource.SQS,
        notification_type="SHIPMENT_TRACKING_MILESTONE_CHANGED",
        tracking_milestone="LOST",
    )


async def outbox_rows(
    session: AsyncSession, *, seller_ids: Iterable[str] | None = None
) -> list[OutboxMessage]:
    """Outbox rows, optionally of some sellers only."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at)
    if seller_ids is not None:
        stmt = stmt.where(OutboxMessage.seller_id.in_(list(seller_ids)))
    return list((await session.execute(stmt)).scalars().all())


async def ticket_of(session: AsyncSession, order_id: str) -> Ticket:
    """The one ticket of an order."""
    return (await session.execute(select(Ticket).where(Ticket.order_id == order_id))).scalar_one()


async def timeline_kinds(session: AsyncSession, ticket: Ticket) -> list[str]:
    """The kinds of a ticket's timeline entries, oldest first."""
    stmt = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    return list((await session.execute(stmt)).scalars().all())


async def eventually(probe: Callable[[], Any], *, until: Callable[[T], bool], within: float = 30.0) -> T:
    """Poll the async ``probe`` until its result satisfies ``until``; the last result otherwise fails."""
    last: Any = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = await probe()
                if until(last):
                    return cast(T, last)
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"condition not reached within {within}s; last value: {last!r}") from None
