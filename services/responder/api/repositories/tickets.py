"""SQL for reading and changing tickets, always within the caller's sellers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.cursor import Cursor
from services.responder.api.sla import AWAITING_SELLER
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent

__all__ = [
    "TicketFilter",
    "effective_priority",
    "get_ticket",
    "list_tickets",
    "order_context",
    "replies_of",
    "timeline_of",
]

effective_priority = func.coalesce(Ticket.priority_override, Ticket.priority)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What GET /tickets may narrow by; ``sellers`` is already the caller's allowed set."""

    sellers: Sequence[str]
    statuses: Sequence[str] = ()
    priorities: Sequence[str] = ()
    categories: Sequence[str] = ()
    tags: Sequence[str] = ()
    marketplaces: Sequence[str] = ()
    asins: Sequence[str] = ()
    skus: Sequence[str] = ()
    languages: Sequence[str] = ()
    assignee: str | None = None
    sla: str | None = None
    due_window: timedelta | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    sort: str = "created_at"
    descending: bool = True
    after: Cursor | None = None


def _sort_column(sort: str) -> ColumnElement[Any]:
    columns: dict[str, ColumnElement[Any]] = {
        "created_at": Ticket.created_at.expression,
        "updated_at": Ticket.updated_at.expression,
        "due_at": Ticket.due_at.expression,
        "priority": effective_priority,
    }
    return columns[sort]


def _conditions(f: TicketFilter, now: datetime) -> list[ColumnElement[bool]]:
    if not f.sellers:
        return [false()]
    c: list[ColumnElement[bool]] = [Ticket.seller_id.in_(f.sellers)]
    lists: tuple[tuple[Sequence[str], ColumnElement[Any]], ...] = (
        (f.statuses, Ticket.status.expression),
        (f.priorities, effective_priority),
        (f.categories, Ticket.category.expression),
        (f.marketplaces, Ticket.marketplace_id.expression),
        (f.asins, Ticket.asin.expression),
        (f.skus, Ticket.sku.expression),
        (f.languages, Ticket.language.expression),
    )
    for values, column in lists:
        if values:
            c.append(column.in_(values))
    c.extend(Ticket.tags.contains([{"name": tag}]) for tag in f.tags)
    if f.assignee is not None:
        c.append(Ticket.assignee == f.assignee)
    if f.sla is not None:
        c += [Ticket.status.in_(AWAITING_SELLER), Ticket.due_at.is_not(None)]
        if f.sla == "breached":
            c.append(Ticket.due_at <= now)
        else:
            c += [Ticket.due_at > now, Ticket.due_at <= now + (f.due_window or timedelta(0))]
    ranges: tuple[tuple[datetime | None, datetime | None, ColumnElement[datetime]], ...] = (
        (f.created_from, f.created_to, Ticket.created_at.expression),
        (f.updated_from, f.updated_to, Ticket.updated_at.expression),
    )
    for low, high, column in ranges:
        if low is not None:
            c.append(column >= low)
        if high is not None:
            c.append(column < high)
    if f.after is not None:
        c.append(_after(f, f.after))
    return c


def _after(f: TicketFilter, cur: Cursor) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (sort key, id) order; null due dates sort last either way."""
    col = _sort_column(f.sort)
    if cur.value is None:
        return and_(col.is_(None), Ticket.id < cur.id if f.descending else Ticket.id > cur.id)
    pair, mark = tuple_(col, Ticket.id), tuple_(cur.value, cur.id)
    beyond = pair < mark if f.descending else pair > mark
    return or_(beyond, col.is_(None)) if f.sort == "due_at" else beyond


# A list row needs neither the reasons nor the encrypted PII: plain rows skip ORM identity bookkeeping.
_SUMMARY_COLUMNS = tuple(
    c
    for c in Ticket.__table__.columns
    if c.name not in ("reasons", "buyer_alias_enc", "subject_enc", "thread_key")
)


async def list_tickets(
    session: AsyncSession, *, f: TicketFilter, now: datetime, limit: int
) -> Sequence[Row[Any]]:
    """One page (``limit`` rows of summary columns, named like Ticket's attributes) in keyset order."""
    col = _sort_column(f.sort)
    key = col.desc() if f.descending else col.asc()
    tie = Ticket.id.desc() if f.descending else Ticket.id.asc()
    stmt = select(*_SUMMARY_COLUMNS).where(*_conditions(f, now)).order_by(key.nulls_last(), tie).limit(limit)
    return (await session.execute(stmt)).all()


async def get_ticket(
    session: AsyncSession, *, ticket_id: uuid.UUID, sellers: Sequence[str], for_update: bool = False
) -> Ticket | None:
    """A ticket of one of ``sellers``; another tenant's id reads as absent."""
    if not sellers:
        return None
    stmt = select(Ticket).where(Ticket.id == ticket_id, Ticket.seller_id.in_(sellers))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def timeline_of(
    session: AsyncSession, *, ticket_id: uuid.UUID, limit: int = 1000
) -> Sequence[TicketEvent]:
    """The newest ``limit`` timeline entries, oldest first."""
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.occurred_at.desc(), TicketEvent.id.desc())
        .limit(limit)
    )
    rows = list((await session.execute(stmt)).scalars().all())
    rows.reverse()
    return rows


async def replies_of(session: AsyncSession, *, ticket_id: uuid.UUID) -> Sequence[OutboxMessage]:
    """Every outbox row of the ticket, oldest first."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def order_context(
    session: AsyncSession, *, seller_id: str, order_id: str | None
) -> OrderContextRow | None:
    """The order context of a ticket's order."""
    if not order_id:
        return None
    return await session.get(OrderContextRow, (seller_id, order_id))
