"""SQL of the background jobs: SLA alert candidates and PII retention."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from services.responder.tickets.status import AWAITING_SELLER
from shared.db.types import Timestamp

__all__ = [
    "expired_ticket_ids",
    "mark_alerted",
    "outbox_rows_by_state",
    "redact_tickets",
    "tickets_by_sla_state",
    "tickets_to_alert",
]


async def tickets_to_alert(
    session: AsyncSession, *, now: datetime, window: timedelta, limit: int
) -> Sequence[Ticket]:
    """Unanswered tickets due within ``window`` or overdue, not yet alerted for this deadline and state.

    The timeline's ``sla_alert`` entries (state + deadline) decide, not ``tickets.sla_alerted`` alone: a new
    buyer message moves the deadline, and the new deadline deserves its own alerts. Rows are locked, skip locked.
    """
    e = TicketEvent
    state = case((Ticket.due_at <= now, "breached"), else_="due_soon")
    alerted = (
        select(e.id)
        .where(
            e.ticket_id == Ticket.id,
            e.kind == "sla_alert",
            e.data["state"].astext == state,
            e.data["due_at"].astext.cast(Timestamp) == Ticket.due_at,
        )
        .exists()
    )
    stmt = (
        select(Ticket)
        .where(
            Ticket.status.in_(AWAITING_SELLER),
            Ticket.due_at.is_not(None),
            Ticket.due_at <= now + window,
            ~alerted,
        )
        .order_by(Ticket.due_at, Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def mark_alerted(session: AsyncSession, *, states: Mapping[uuid.UUID, str]) -> None:
    """Record the alerted state per ticket (no version bump: nothing a person changed)."""
    if not states:
        return
    new_state = case(*((Ticket.id == tid, state) for tid, state in states.items()), else_=Ticket.sla_alerted)
    await session.execute(
        update(Ticket).where(Ticket.id.in_(list(states))).values(sla_alerted=new_state, updated_at=func.now())
    )


async def expired_ticket_ids(session: AsyncSession, *, cutoff: datetime, limit: int) -> list[uuid.UUID]:
    """Tickets delivered (or, order unknown, created) before ``cutoff`` that still hold PII."""
    o = OrderContextRow
    reference = func.coalesce(o.latest_delivery_date, Ticket.created_at)
    stmt = (
        select(Ticket.id)
        .outerjoin(o, and_(o.seller_id == Ticket.seller_id, o.order_id == Ticket.order_id))
        .where(
            reference < cutoff,
            or_(
                Ticket.pii_redacted_at.is_(None),
                Ticket.buyer_alias_enc.is_not(None),
                Ticket.subject_enc.is_not(None),
            ),
        )
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(of=Ticket, skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())


async def redact_tickets(session: AsyncSession, *, ticket_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Null every PII column of the tickets, their timeline and their outbox rows; analytics columns stay."""
    ids = list(ticket_ids)
    if not ids:
        return
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(buyer_alias_enc=None, subject_enc=None, pii_redacted_at=now, updated_at=func.now())
    )
    await session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.pii_enc.is_not(None))
        .values(pii_enc=None)
    )
    # A reply still queued this late would go out empty: it is failed instead of sent.
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ticket_id.in_(ids), OutboxMessage.status == "pending")
        .values(status="failed", last_error="redacted by retention before sending", updated_at=func.now())
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ticket_id.in_(ids),
            or_(
                OutboxMessage.to_enc.is_not(None),
                OutboxMessage.subject_enc.is_not(None),
                OutboxMessage.body_enc.is_not(None),
            ),
        )
        .values(to_enc=None, subject_enc=None, body_enc=None, updated_at=func.now())
    )


async def outbox_rows_by_state(session: AsyncSession) -> dict[str, int]:
    """Outbox rows per status (the metrics gauge)."""
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(count) for status, count in rows.all()}


async def tickets_by_sla_state(
    session: AsyncSession, *, now: datetime, window: timedelta
) -> dict[tuple[str, str], int]:
    """(marketplace, due_soon | breached) -> tickets still owed a reply due within ``window`` or overdue."""
    state = case((Ticket.due_at <= now, "breached"), else_="due_soon")
    marketplace = func.coalesce(Ticket.marketplace_id, "unknown")
    rows = await session.execute(
        select(marketplace, state, func.count())
        .where(Ticket.status.in_(AWAITING_SELLER), Ticket.due_at.is_not(None), Ticket.due_at <= now + window)
        .group_by(marketplace, state)
    )
    return {(m, s): int(count) for m, s, count in rows.all()}
