"""SQL of tickets: order context, tickets and their timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import OrderContextRow, Ticket, TicketEvent
from services.responder.tickets.state import COLUMNS, WRITTEN, TicketState
from services.responder.tickets.timeline import Entry
from shared.events import OrderContextUpdated

_EVENTS = cast(Table, TicketEvent.__table__)
_TICKETS = cast(Table, Ticket.__table__)
_UPDATED = WRITTEN[1:]
# Constant statements over the batch's rows (executemany), compiled once per process, not per batch.
_INSERT_TICKETS = insert(_TICKETS)
_UPDATE_TICKETS = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _UPDATED})
)
_UPDATE_STATUS = (
    update(_TICKETS).where(_TICKETS.c.id == bindparam("b_id")).values(status=bindparam("b_status"))
)

__all__ = [
    "add_timeline",
    "add_timelines",
    "order_contexts",
    "save_statuses",
    "save_tickets",
    "ticket_ids_for_order",
    "tickets_for_update",
    "upsert_order_context",
]


async def upsert_order_context(session: AsyncSession, *, event: OrderContextUpdated) -> None:
    """Merge a notification into the order context; an older event never overwrites a newer one."""
    if not event.order_id:
        return
    values: dict[str, Any] = {
        "seller_id": event.seller_id,
        "order_id": event.order_id,
        "marketplace_id": event.marketplace_id,
        "order_status": event.order_status,
        "fulfillment_type": event.fulfillment_type,
        "purchase_date": event.purchase_date,
        "earliest_delivery_date": event.earliest_delivery_date,
        "latest_delivery_date": event.latest_delivery_date,
        "latest_ship_date": event.latest_ship_date,
        "tracking_milestone": event.tracking_milestone,
        "carrier": event.carrier,
        "order_amount": event.order_amount,
        "currency": event.currency,
        "last_event_at": event.occurred_at,
    }
    stmt = insert(OrderContextRow).values(**values)
    row, new = OrderContextRow, stmt.excluded
    newer = new.last_event_at >= row.last_event_at
    merged: dict[str, Any] = {}
    for key in values:
        if key in ("seller_id", "order_id", "last_event_at"):
            continue
        col, val = getattr(row, key), getattr(new, key)
        # the newer event wins where it says something; an older one only fills gaps
        merged[key] = case((newer, func.coalesce(val, col)), else_=func.coalesce(col, val))
    merged["last_event_at"] = func.greatest(row.last_event_at, new.last_event_at)
    merged["updated_at"] = func.now()
    stmt = stmt.on_conflict_do_update(index_elements=[row.seller_id, row.order_id], set_=merged)
    await session.execute(stmt)


async def tickets_for_update(
    session: AsyncSession, *, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], TicketState]:
    """Tickets of many (seller, thread) keys in one query, locked for this transaction."""
    if not keys:
        return {}
    t = _TICKETS.c
    stmt = (
        select(*(t[name] for name in COLUMNS))
        .where(tuple_(t.seller_id, t.thread_key).in_(list(dict.fromkeys(keys))))
        .order_by(t.id)  # a stable lock order between concurrent consumers
        .with_for_update()
    )
    rows = (await session.execute(stmt)).mappings()
    return {(r["seller_id"], r["thread_key"]): TicketState(**r) for r in rows}


async def save_tickets(session: AsyncSession, *, tickets: Sequence[TicketState]) -> None:
    """Write the batch's tickets: the new ones in one INSERT, the locked ones in one UPDATE statement."""
    new = [t.values() for t in tickets if t.new]
    old = [{f"b_{k}": v for k, v in t.values().items()} for t in tickets if not t.new]
    if new:
        await session.execute(_INSERT_TICKETS, new)
        for t in tickets:
            t.new = False
    if old:
        await session.execute(_UPDATE_TICKETS, old)


async def save_statuses(session: AsyncSession, *, tickets: Sequence[TicketState]) -> None:
    """Write the status of tickets already saved in this transaction."""
    if tickets:
        await session.execute(_UPDATE_STATUS, [{"b_id": t.id, "b_status": t.status} for t in tickets])


async def order_contexts(
    session: AsyncSession, *, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], OrderContextRow]:
    """Order contexts of many (seller, order) keys in one query."""
    if not keys:
        return {}
    row = OrderContextRow
    stmt = select(row).where(tuple_(row.seller_id, row.order_id).in_(list(dict.fromkeys(keys))))
    return {(r.seller_id, r.order_id): r for r in (await session.execute(stmt)).scalars()}


async def ticket_ids_for_order(session: AsyncSession, *, seller_id: str, order_id: str) -> list[uuid.UUID]:
    """Tickets about one order."""
    stmt = select(Ticket.id).where(Ticket.seller_id == seller_id, Ticket.order_id == order_id)
    return list((await session.execute(stmt)).scalars().all())


async def add_timelines(session: AsyncSession, *, entries: Sequence[tuple[uuid.UUID, Entry]]) -> None:
    """Append many (ticket id, entry) rows in one constant statement, in order (their tickets must be
    flushed): an ORM object per row cost the consumer about a tenth of its CPU (issue 14's profile)."""
    if not entries:
        return
    rows = [
        {
            "ticket_id": ticket_id,
            "kind": e.kind,
            "occurred_at": e.occurred_at,
            "data": e.data,
            "event_id": e.event_id,
            "actor": e.actor,
            "pii_enc": e.pii_enc,
        }
        for ticket_id, e in entries
    ]
    await session.execute(insert(_EVENTS), rows)


async def add_timeline(session: AsyncSession, *, ticket_id: uuid.UUID, entry: Entry) -> None:
    """Append one entry to a ticket's timeline."""
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            data=entry.data,
            event_id=entry.event_id,
            actor=entry.actor,
            pii_enc=entry.pii_enc,
        )
    )
