"""Ticket use cases behind the routes: list, read, change (the request owns the transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.changes import PreconditionError, apply_changes, matches_if_match, plan_changes
from services.responder.api.cursor import Cursor, CursorError, decode_cursor, encode_cursor
from services.responder.api.errors import ApiError
from services.responder.api.repositories import ticket_reads as reads
from services.responder.api.repositories import tickets as repo
from services.responder.api.runtime import ApiRuntime
from services.responder.api.schemas.tickets import TicketDetail, TicketPatch, TicketQuery
from services.responder.api.security import TICKETS_READ, Principal
from services.responder.api.views import detail_json, detail_of, etag_of, page_json
from services.responder.settings import WebhookSubscription
from services.responder.tables import Ticket
from services.responder.tickets import repository as responder_repo
from services.responder.tickets import timeline
from services.responder.webhooks import events as webhook_events
from services.responder.webhooks import repository as webhook_repo
from shared.crypto import PiiCipher

__all__ = [
    "allowed_sellers",
    "change_ticket",
    "detail_for",
    "get_ticket_detail",
    "list_tickets",
    "load_ticket",
    "page_for",
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


async def list_tickets(
    conn: asyncpg.Connection,
    *,
    query: TicketQuery,
    caller: Principal,
    now: datetime,
    window: timedelta,
    max_page: int,
) -> bytes:
    """One page of the caller's tickets, as the JSON body of a ``TicketPage``."""
    descending = query.order == "desc"
    after: Cursor | None = None
    if query.cursor:
        try:
            after = decode_cursor(query.cursor, sort=query.sort, descending=descending)
        except CursorError as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
    sla = query.sla or ("due_soon" if query.due_within_hours is not None else None)
    hours = query.due_within_hours
    f = reads.TicketFilter(
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
        unassigned=query.unassigned,
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
    rows = await reads.list_tickets(conn, f=f, now=now, window=window, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(Cursor(query.sort, descending, last["sort_value"], last["id"]))
    return page_json(rows, next_cursor=next_cursor)


async def page_for(runtime: ApiRuntime, *, query: TicketQuery, caller: Principal) -> bytes:
    """GET /v1/tickets: one page as JSON, on a pooled read connection (the route and the fast lane)."""
    async with runtime.reads.connection() as conn:
        return await list_tickets(
            conn,
            query=query,
            caller=caller,
            now=runtime.clock(),
            window=runtime.sla_window,
            max_page=runtime.api.max_page_size,
        )


async def detail_for(runtime: ApiRuntime, *, ticket_id: uuid.UUID, caller: Principal) -> tuple[bytes, str]:
    """GET /v1/tickets/{id}: the detail JSON and its ETag (the route and the fast lane)."""
    async with runtime.reads.connection() as conn:
        return await get_ticket_detail(
            conn,
            ticket_id=ticket_id,
            caller=caller,
            cipher=runtime.cipher,
            now=runtime.clock(),
            window=runtime.sla_window,
        )


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
    conn: asyncpg.Connection,
    *,
    ticket_id: uuid.UUID,
    caller: Principal,
    cipher: PiiCipher,
    now: datetime,
    window: timedelta,
) -> tuple[bytes, str]:
    """The detail view's JSON and ETag in one round trip, or 404 (also for another tenant's id); PII only
    for tickets:read."""
    row = await reads.get_ticket_detail(conn, ticket_id=ticket_id, sellers=caller.sellers)
    if row is None:
        raise ApiError(404, "ticket_not_found", "no such ticket")
    body = detail_json(row, cipher=cipher if caller.has(TICKETS_READ) else None, now=now, window=window)
    return body, etag_of(row["version"])


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
    webhooks: Sequence[WebhookSubscription] = (),
) -> Ticket:
    """Apply a PATCH under optimistic concurrency; every changed field becomes a timeline entry, and the change
    a ``ticket.updated`` webhook for ``webhooks`` that want it (same transaction)."""
    ticket = await load_ticket(session, ticket_id=ticket_id, caller=caller, for_update=True)
    try:
        current = matches_if_match(if_match, ticket.version)
    except PreconditionError as exc:
        raise ApiError(
            428, "precondition_required", str(exc), headers={"ETag": etag_of(ticket.version)}
        ) from exc
    if not current:
        raise ApiError(
            412,
            "precondition_failed",
            "the ticket changed since that ETag; re-read it and retry",
            headers={"ETag": etag_of(ticket.version)},
        )
    changes = plan_changes(ticket, patch)
    apply_changes(ticket, changes)
    for change in changes:
        entry = timeline.field_entry(
            kind=change.kind, field=change.field, old=change.old, new=change.new, actor=caller.actor, now=now
        )
        await responder_repo.add_timeline(session, ticket_id=ticket.id, entry=entry)
    if changes:
        await session.flush()
        await session.refresh(ticket, attribute_names=["updated_at"])  # set by the database on update
        if webhooks:
            event = webhook_events.ticket_changed(ticket, created=False, cause=f"v{ticket.version}", now=now)
            rows = webhook_events.delivery_rows([event], webhooks)
            await webhook_repo.insert_deliveries(session, rows=rows)
    return ticket
