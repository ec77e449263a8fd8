"""SQL of the outbox: queueing rows, the sender and the daily send budget.

Outcomes are recorded with Core statements on the tables: per message, ORM-enabled DML cost several times the
CPU of the database round trips themselves (measured with bench/outbound_bench.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    String,
    Table,
    Text,
    all_,
    any_,
    case,
    column,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from services.responder.tickets.timeline import outcome_entry
from services.responder.tickets.transitions import ESCALATED, ESCALATING_OUTCOMES, REPLIED, REPLIED_FROM

__all__ = [
    "COUNTED_STATUSES",
    "STALE",
    "SendOutcome",
    "claim_due",
    "expire_claims",
    "insert_outbox",
    "insert_outbox_many",
    "lock_ticket",
    "lock_tickets",
    "orders_since",
    "record_on_ticket",
    "record_on_tickets",
    "record_send_outcome",
    "record_send_outcomes",
    "sends_since",
    "stale_claims",
    "ticket_traceparents",
]

STALE = "sender stopped mid-send; outcome unknown"
COUNTED_STATUSES = ("sent", "unknown", "sending")
"""Rows that may have reached a buyer: what the daily budget counts."""

_TICKETS = cast(Table, Ticket.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)
_EVENTS = cast(Table, TicketEvent.__table__)
_OUTCOME = (_OUTBOX.c.id, _OUTBOX.c.ticket_id, _OUTBOX.c.channel, _OUTBOX.c.created_by)
_IDS = ARRAY(PgUUID(as_uuid=True))
_STRINGS = ARRAY(String)

# Lists go to PostgreSQL as one array parameter (``= ANY($1)``), not as ``IN ($1, ..., $n)``: the statement
# text then does not depend on how many values there are, so it is compiled and prepared once, not once per
# list length (the sender's batches have every length from 1 to hundreds).


def _in(col: ColumnElement[Any], items: Iterable[Any], array: ARRAY[Any]) -> ColumnElement[bool]:
    return col == any_(literal(list(items), array))


def _not_in(col: ColumnElement[Any], items: Iterable[Any], array: ARRAY[Any]) -> ColumnElement[bool]:
    return col != all_(literal(list(items), array))


async def lock_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> None:
    """Lock a ticket row for this transaction (outcomes of one ticket are recorded one at a time)."""
    await session.execute(select(_TICKETS.c.id).where(_TICKETS.c.id == ticket_id).with_for_update())


async def record_send_outcome(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    status: str,
    error: str | None,
    retry_at: datetime | None,
    now: datetime,
) -> Row[Any] | None:
    """Record what happened to a claimed row (only while it is still 'sending'); None when it is not."""
    o = _OUTBOX.c
    stmt = (
        update(_OUTBOX)
        .where(o.id == message_id, o.status == "sending")
        .values(
            status=status,
            last_error=error,
            not_before=retry_at,
            sent_at=now if status == "sent" else None,
            updated_at=func.now(),
        )
        .returning(*_OUTCOME)
    )
    return (await session.execute(stmt)).first()


SendOutcome = tuple[uuid.UUID, str, str | None, datetime | None]
"""(outbox id, status, error, not before) of one finished send."""


async def lock_tickets(session: AsyncSession, ticket_ids: Iterable[uuid.UUID | None]) -> None:
    """Lock ticket rows for this transaction, in id order (two transactions locking sets cannot deadlock)."""
    ids = sorted({i for i in ticket_ids if i is not None})
    if ids:
        t = _TICKETS.c
        await session.execute(select(t.id).where(_in(t.id, ids, _IDS)).order_by(t.id).with_for_update())


async def record_send_outcomes(
    session: AsyncSession, outcomes: Sequence[SendOutcome], *, now: datetime
) -> Sequence[Row[Any]]:
    """``record_send_outcome`` for many rows in one statement; returns the rows recorded (with their status
    and error), leaving out those no longer 'sending'."""
    if not outcomes:
        return []
    o = _OUTBOX.c
    ids, statuses, errors, retry_ats = zip(*outcomes, strict=True)
    given = (
        func.unnest(
            literal(list(ids), _IDS),
            literal(list(statuses), _STRINGS),
            literal(list(errors), ARRAY(Text)),
            literal(list(retry_ats), ARRAY(DateTime(timezone=True))),
        )
        .table_valued(
            column("id", PgUUID(as_uuid=True)),
            column("status", String),
            column("error", Text),
            column("retry_at", DateTime(timezone=True)),
        )
        .render_derived(name="given", with_types=False)
    )
    stmt = (
        update(_OUTBOX)
        .where(o.id == given.c.id, o.status == "sending")
        .values(
            status=given.c.status,
            last_error=given.c.error,
            not_before=given.c.retry_at,
            sent_at=case((given.c.status == "sent", now), else_=None),
            updated_at=func.now(),
        )
        .returning(*_OUTCOME, o.status, o.last_error, o.seller_id, o.order_id)
    )
    return (await session.execute(stmt)).all()


async def record_on_tickets(session: AsyncSession, rows: Sequence[Row[Any]], *, now: datetime) -> None:
    """``record_on_ticket`` for rows of distinct tickets, one statement per kind of change.

    ``rows`` come from ``record_send_outcomes`` (their ``status`` and ``last_error`` are the outcome); rows
    without a ticket (solicitations) change no ticket.
    """
    rows = [row for row in rows if row.ticket_id is not None]
    t = _TICKETS.c
    tickets: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        kind = (
            "sent" if row.status == "sent" else "escalate" if row.status in ESCALATING_OUTCOMES else "other"
        )
        tickets.setdefault(kind, []).append(row.ticket_id)
    for kind, ids in tickets.items():
        changes: dict[str, Any] = {"version": t.version + 1, "updated_at": func.now()}
        if kind == "sent":
            changes["first_response_at"] = func.coalesce(t.first_response_at, now)
            changes["status"] = case((t.status.in_(REPLIED_FROM), REPLIED), else_=t.status)
        elif kind == "escalate":
            changes["status"] = ESCALATED
        await session.execute(update(_TICKETS).where(_in(t.id, ids, _IDS)).values(changes))
    entries = []
    for row in rows:
        entry = outcome_entry(
            outbox_id=row.id,
            channel=row.channel,
            outcome=row.status,
            error=row.last_error,
            actor=row.created_by,
            now=now,
        )
        entries.append(
            {
                "ticket_id": row.ticket_id,
                "kind": entry.kind,
                "occurred_at": entry.occurred_at,
                "actor": entry.actor,
                "data": entry.data,
            }
        )
    if entries:
        await session.execute(insert(_EVENTS), entries)


async def record_on_ticket(
    session: AsyncSession, row: Row[Any], *, status: str, error: str | None, now: datetime
) -> None:
    """The ticket follows its reply: sent -> replied (first response), unknown or failed -> escalated."""
    if row.ticket_id is None:
        return  # a solicitation: no ticket follows it
    t = _TICKETS.c
    values: dict[str, Any] = {"version": t.version + 1, "updated_at": func.now()}
    if status == "sent":
        values["first_response_at"] = func.coalesce(t.first_response_at, now)
        # the transition rule in SQL: the ticket row is not loaded here
        values["status"] = case((t.status.in_(REPLIED_FROM), REPLIED), else_=t.status)
    elif status in ESCALATING_OUTCOMES:
        values["status"] = ESCALATED
    await session.execute(update(_TICKETS).where(t.id == row.ticket_id).values(values))
    entry = outcome_entry(
        outbox_id=row.id, channel=row.channel, outcome=status, error=error, actor=row.created_by, now=now
    )
    await session.execute(
        insert(_EVENTS).values(
            ticket_id=row.ticket_id,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            data=entry.data,
        )
    )


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    per_seller: int,
    exclude: Sequence[str],
    only: Sequence[str] | None = None,
) -> Sequence[OutboxMessage]:
    """Due pending rows, oldest first, at most ``per_seller`` per seller, marked 'sending' (SKIP LOCKED).

    ``only``: the sellers this sender serves (None: all).
    """
    o = OutboxMessage
    rank = func.row_number().over(partition_by=o.seller_id, order_by=(o.created_at, o.id))
    due = [o.status == "pending", or_(o.not_before.is_(None), o.not_before <= now)]
    if exclude:
        due.append(_not_in(_OUTBOX.c.seller_id, exclude, _STRINGS))
    if only is not None:
        due.append(_in(_OUTBOX.c.seller_id, only, _STRINGS))
    ranked = select(o.id, o.created_at, rank.label("rank")).where(*due).subquery()
    ids = select(ranked.c.id).where(ranked.c.rank <= per_seller).order_by(ranked.c.created_at).limit(limit)
    stmt = (
        select(o)
        .where(o.id.in_(ids), o.status == "pending")
        .order_by(o.created_at)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.execute(stmt)).scalars().all()
    for row in rows:
        row.status = "sending"
        row.claimed_at = now
        row.attempts += 1
    await session.flush()
    return rows


async def stale_claims(
    session: AsyncSession, *, before: datetime, seller_ids: Iterable[str] | None = None
) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(outbox id, ticket id) of rows left 'sending' since before ``before`` (of ``seller_ids`` if given)."""
    stmt = select(OutboxMessage.id, OutboxMessage.ticket_id).where(
        OutboxMessage.status == "sending", OutboxMessage.claimed_at < before
    )
    if seller_ids is not None:
        stmt = stmt.where(OutboxMessage.seller_id.in_(list(seller_ids)))
    return [(i, t) for i, t in (await session.execute(stmt)).all()]


async def expire_claims(
    session: AsyncSession, *, ids: Sequence[uuid.UUID], before: datetime
) -> Sequence[Row[Any]]:
    """Mark stale claims 'unknown' (only rows still stale); returns their outcome rows."""
    o = _OUTBOX.c
    stmt = (
        update(_OUTBOX)
        .where(o.id.in_(list(ids)), o.status == "sending", o.claimed_at < before)
        .values(status="unknown", last_error=STALE, updated_at=func.now())
        .returning(*_OUTCOME)
    )
    return (await session.execute(stmt)).all()


async def sends_since(session: AsyncSession, *, seller_ids: Iterable[str], since: datetime) -> dict[str, int]:
    """Per seller: messages that may have reached a buyer since ``since`` (sent, unknown, in flight)."""
    sent_or_claimed = func.coalesce(OutboxMessage.sent_at, OutboxMessage.claimed_at)
    stmt = (
        select(OutboxMessage.seller_id, func.count())
        .where(
            OutboxMessage.seller_id.in_(list(seller_ids)),
            OutboxMessage.status.in_(COUNTED_STATUSES),
            sent_or_claimed >= since,
        )
        .group_by(OutboxMessage.seller_id)
    )
    return {seller: int(n) for seller, n in (await session.execute(stmt)).all()}


async def orders_since(
    session: AsyncSession, *, seller_ids: Iterable[str], since: datetime
) -> dict[str, int]:
    """Per seller: orders purchased (or, without a purchase date, last heard of) since ``since``."""
    when = func.coalesce(OrderContextRow.purchase_date, OrderContextRow.last_event_at)
    stmt = (
        select(OrderContextRow.seller_id, func.count())
        .where(OrderContextRow.seller_id.in_(list(seller_ids)), when >= since)
        .group_by(OrderContextRow.seller_id)
    )
    return {seller: int(n) for seller, n in (await session.execute(stmt)).all()}


async def insert_outbox(session: AsyncSession, *, values: dict[str, Any]) -> uuid.UUID | None:
    """Queue a message; returns None when its idempotency key exists already (never queued twice)."""
    stmt = (
        pg_insert(OutboxMessage)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
        .returning(OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_outbox_many(
    session: AsyncSession, *, rows: Sequence[dict[str, Any]]
) -> dict[str, uuid.UUID]:
    """Queue many messages in one statement; returns idempotency key -> id for the rows actually inserted."""
    if not rows:
        return {}
    o = _OUTBOX.c
    # One constant statement over the rows (insertmanyvalues): compiled once, not per batch.
    stmt = (
        pg_insert(_OUTBOX)
        .on_conflict_do_nothing(index_elements=[o.idempotency_key])
        .returning(o.idempotency_key, o.id)
    )
    result = await session.execute(stmt, [{"id": uuid.uuid4(), **row} for row in rows])
    return {row.idempotency_key: row.id for row in result}


async def ticket_traceparents(session: AsyncSession, *, ticket_id: uuid.UUID) -> list[str | None]:
    """The traceparents the ticket's outbox rows keep, oldest first (``complaints trace``)."""
    rows = await session.execute(
        select(_OUTBOX.c.traceparent).where(_OUTBOX.c.ticket_id == ticket_id).order_by(_OUTBOX.c.created_at)
    )
    return list(rows.scalars())
