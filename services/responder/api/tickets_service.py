"""Ticket use cases behind the routes: list, read, change (the request owns the transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.responder import repository as responder_repo
from services.responder.api.changes import PreconditionError, apply_changes, matches_if_match, plan_changes
from services.responder.api.cursor import Cursor, CursorError, decode_cursor, encode_cursor
from services.responder.api.errors import ApiError
from services.responder.api.repositories import tickets as repo
from services.responder.api.schemas.tickets import TicketDetail, TicketPage, TicketPatch, TicketQuery
from services.responder.api.security import TICKETS_READ, Principal
from services.responder.api.views import detail_from_row, detail_of, etag_of, page_of
from services.responder.tables import Ticket
from shared.crypto import PiiCipher

__all__ = [
    "allowed_sellers",
    "change_ticket",
    "get_ticket_detail",
    "list_tickets",
    "load_ticket",
    "read_ticket",
]


def allowed_sellers(caller: Principal, requested: Sequence[str]) -> list[str]:
    """The sellers a request may see: the requested ones, all of which must belong to the key."""
    if not requested:
        return list(caller.sellers)
    foreign = sorted(set(requested) - set(caller.sellers))
    if foreign:
        raise ApiError(403, "seller_not_allowed", "this API key is not bound to every requested seller")
    return sorted(set(requested))


def _sort_value(row: Row[Any], sort: str) -> datetime | str | None:
    if sort == "priority":
        return str(row.priority_override or row.priority)
    value: datetime | None = getattr(row, sort)
    return value


async def list_tickets(
    session: AsyncSession | AsyncConnection,
    *,
    query: TicketQuery,
    caller: Principal,
    now: datetime,
    window: timedelta,
    max_page: int,
) -> TicketPage:
    """One page of the caller's tickets."""
    descending = query.order == "desc"
    after: Cursor | None = None
    if query.cursor:
        try:
            after = decode_cursor(query.cursor, sort=query.sort, descending=descending)
        except CursorError as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
    sla = query.sla or ("due_soon" if query.due_within_hours is not None else None)
    hours = query.due_within_hours
    f = repo.TicketFilter(
        sellers=allowed_sellers(caller, query.seller_id),
        statuses=query.status,
        priorities=query.priority,
        categories=query.category,
        tags=query.tag,
        marketplaces=query.marketplace_id,
        asins=query.asin,
        skus=query.sku,
        languages=query.language,
        assignee=query.assignee,
        sla=sla,
        due_window=timedelta(hours=hours) if hours is not None else window,
        created_from=query.created_from,
        created_to=query.created_to,
        updated_from=query.updated_from,
        updated_to=query.updated_to,
        sort=query.sort,
        descending=descending,
        after=after,
    )
    limit = min(query.limit, max_page)
    rows = list(await repo.list_tickets(session, f=f, now=now, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(Cursor(query.sort, descending, _sort_value(last, query.sort), last.id))
    return page_of(rows, next_cursor=next_cursor, now=now, window=window)


async def load_ticket(
    session: AsyncSession, *, ticket_id: uuid.UUID, caller: Principal, for_update: bool = False
) -> Ticket:
    """The caller's ticket, or 404 (also for another tenant's id: its existence is not revealed)."""
    ticket = await repo.get_ticket(
        session, ticket_id=ticket_id, sellers=caller.sellers, for_update=for_update
    )
    if ticket is None:
        raise ApiError(404, "ticket_not_found", "no such ticket")
    return ticket


async def get_ticket_detail(
    conn: AsyncConnection,
    *,
    ticket_id: uuid.UUID,
    caller: Principal,
    cipher: PiiCipher,
    now: datetime,
    window: timedelta,
) -> TicketDetail:
    """The detail view in one round trip, or 404 (also for another tenant's id); PII only for tickets:read."""
    row = await repo.get_ticket_detail(conn, ticket_id=ticket_id, sellers=caller.sellers)
    if row is None:
        raise ApiError(404, "ticket_not_found", "no such ticket")
    return detail_from_row(row, cipher=cipher if caller.has(TICKETS_READ) else None, now=now, window=window)


async def read_ticket(
    session: AsyncSession,
    *,
    ticket: Ticket,
    caller: Principal,
    cipher: PiiCipher,
    now: datetime,
    window: timedelta,
) -> TicketDetail:
    """The detail view; PII only for tickets:read."""
    events = await repo.timeline_of(session, ticket_id=ticket.id)
    replies = await repo.replies_of(session, ticket_id=ticket.id)
    order = await repo.order_context(session, seller_id=ticket.seller_id, order_id=ticket.order_id)
    return detail_of(
        ticket,
        events=events,
        replies=replies,
        order=order,
        cipher=cipher if caller.has(TICKETS_READ) else None,
        now=now,
        window=window,
    )


async def change_ticket(
    session: AsyncSession,
    *,
    ticket_id: uuid.UUID,
    patch: TicketPatch,
    if_match: str | None,
    caller: Principal,
    now: datetime,
) -> Ticket:
    """Apply a PATCH under optimistic concurrency; every changed field becomes a timeline entry."""
    ticket = await load_ticket(session, ticket_id=ticket_id, caller=caller, for_update=True)
    try:
        current = matches_if_match(if_match, ticket.version)
    except PreconditionError as exc:
        raise ApiError(428, "precondition_required", str(exc), headers={"ETag": etag_of(ticket)}) from exc
    if not current:
        raise ApiError(
            412,
            "precondition_failed",
            "the ticket changed since that ETag; re-read it and retry",
            headers={"ETag": etag_of(ticket)},
        )
    changes = plan_changes(ticket, patch)
    apply_changes(ticket, changes)
    for change in changes:
        await responder_repo.add_timeline(
            session,
            ticket_id=ticket.id,
            kind=change.kind,
            occurred_at=now,
            actor=caller.actor,
            data={"field": change.field, "from": change.old, "to": change.new},
        )
    if changes:
        await session.flush()
        await session.refresh(ticket, attribute_names=["updated_at"])  # set by the database on update
    return ticket
