"""SQL for reading and changing tickets, always within the caller's sellers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    Text,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.responder.api.cursor import Cursor
from services.responder.api.sla import AWAITING_SELLER
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent

__all__ = [
    "TicketFilter",
    "effective_priority",
    "get_ticket",
    "get_ticket_detail",
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
    if c.name
    not in ("reasons", "buyer_alias_enc", "subject_enc", "thread_key", "model_version", "last_message_id")
)


async def list_tickets(
    session: AsyncSession | AsyncConnection, *, f: TicketFilter, now: datetime, limit: int
) -> Sequence[Row[Any]]:
    """One page (``limit`` rows of summary columns, named like Ticket's attributes) in keyset order."""
    col = _sort_column(f.sort)
    key = col.desc() if f.descending else col.asc()
    tie = Ticket.id.desc() if f.descending else Ticket.id.asc()
    # Only due_at can be null. NULLS LAST on a NOT NULL column changes no order but stops PostgreSQL from
    # walking ix_tickets_seller_created backwards (it sorted every ticket of the seller instead).
    stmt = (
        select(*_SUMMARY_COLUMNS)
        .where(*_conditions(f, now))
        .order_by(key.nulls_last() if f.sort == "due_at" else key, tie)
        .limit(limit)
    )
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


# Timestamps inside JSON as UTC ISO strings with 'Z', independent of the session's TimeZone setting.
def _utc(column: str) -> str:
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


_DETAIL_COLUMNS = tuple(
    c for c in Ticket.__table__.columns if c.name not in ("thread_key", "last_message_id")
)

# One round trip for the whole detail view: the ticket's columns plus its timeline (newest 1000, oldest
# first), replies and order context as JSON text; bytea goes as hex. The text is constant and the values
# are bound, so asyncpg reuses one prepared statement.
_DETAIL = (
    text(
        f"""
SELECT {", ".join(f"t.{c.name}" for c in _DETAIL_COLUMNS)},
  (SELECT json_agg(json_build_object(
      'id', e.id, 'kind', e.kind, 'actor', e.actor, 'occurred_at', {_utc("e.occurred_at")},
      'recorded_at', {_utc("e.recorded_at")}, 'event_id', e.event_id, 'data', e.data,
      'pii_enc', encode(e.pii_enc, 'hex')) ORDER BY e.occurred_at, e.id)::text
   FROM (SELECT * FROM ticket_events WHERE ticket_id = t.id
         ORDER BY occurred_at DESC, id DESC LIMIT :timeline_limit) AS e) AS timeline_json,
  (SELECT json_agg(json_build_object(
      'id', o.id, 'status', o.status, 'channel', o.channel, 'action', o.action,
      'template_id', o.template_id, 'template_version', o.template_version, 'language', o.language,
      'fallback', o.fallback, 'lint', o.lint, 'attempts', o.attempts, 'last_error', o.last_error,
      'created_by', o.created_by, 'created_at', {_utc("o.created_at")}, 'sent_at', {_utc("o.sent_at")},
      'subject_enc', encode(o.subject_enc, 'hex'), 'body_enc', encode(o.body_enc, 'hex'))
      ORDER BY o.created_at, o.id)::text
   FROM outbox_messages AS o WHERE o.ticket_id = t.id) AS replies_json,
  (SELECT json_build_object(
      'order_id', c.order_id, 'marketplace_id', c.marketplace_id, 'order_status', c.order_status,
      'fulfillment_type', c.fulfillment_type, 'purchase_date', {_utc("c.purchase_date")},
      'earliest_delivery_date', {_utc("c.earliest_delivery_date")},
      'latest_delivery_date', {_utc("c.latest_delivery_date")},
      'latest_ship_date', {_utc("c.latest_ship_date")}, 'tracking_milestone', c.tracking_milestone,
      'carrier', c.carrier, 'order_amount', c.order_amount::text, 'currency', c.currency,
      'last_event_at', {_utc("c.last_event_at")})::text
   FROM order_context AS c WHERE c.seller_id = t.seller_id AND c.order_id = t.order_id) AS order_json
FROM tickets AS t
WHERE t.id = :ticket_id AND t.seller_id = ANY(:sellers)
"""
    )
    .bindparams(bindparam("sellers", type_=ARRAY(String)))
    .columns(*_DETAIL_COLUMNS, timeline_json=Text, replies_json=Text, order_json=Text)
)


async def get_ticket_detail(
    conn: AsyncConnection, *, ticket_id: uuid.UUID, sellers: Sequence[str], timeline_limit: int = 1000
) -> Row[Any] | None:
    """A ticket of one of ``sellers`` with ``timeline_json``, ``replies_json`` and ``order_json`` (JSON text)."""
    if not sellers:
        return None
    params = {"ticket_id": ticket_id, "sellers": list(sellers), "timeline_limit": timeline_limit}
    return (await conn.execute(_DETAIL, params)).one_or_none()
