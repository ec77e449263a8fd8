"""GET /v1/tickets, GET /v1/tickets/{id}, PATCH /v1/tickets/{id}."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from services.responder.api import tickets_service as service
from services.responder.api.deps import NowDep, RuntimeDep, SessionDep, TicketReaderDep, requires
from services.responder.api.schemas.common import error_responses
from services.responder.api.schemas.tickets import TicketDetail, TicketPage, TicketPatch, TicketQuery
from services.responder.api.security import TICKETS_WRITE, Principal
from services.responder.api.views import etag_of

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["tickets"])


@router.get(
    "/tickets",
    response_model=TicketPage,
    summary="List tickets",
    responses=error_responses(400, 401, 403, 422, 429),
)
async def list_tickets(
    query: Annotated[TicketQuery, Query()], caller: TicketReaderDep, runtime: RuntimeDep
) -> Response:
    """Filter, sort and page the caller's tickets (keyset pagination: pass next_cursor back as cursor)."""
    # Already JSON (see views.page_json): FastAPI would otherwise validate and serialise it again.
    return Response(
        await service.page_for(runtime, query=query, caller=caller), media_type="application/json"
    )


@router.get(
    "/tickets/{ticket_id}",
    response_model=TicketDetail,
    summary="Read a ticket with its timeline",
    responses=error_responses(401, 403, 404, 422, 429),
)
async def get_ticket(ticket_id: uuid.UUID, caller: TicketReaderDep, runtime: RuntimeDep) -> Response:
    """The ticket, its classification, timeline, replies and order context (ETag = version)."""
    body, etag = await service.detail_for(runtime, ticket_id=ticket_id, caller=caller)
    return Response(body, media_type="application/json", headers={"ETag": etag})


@router.patch(
    "/tickets/{ticket_id}",
    response_model=TicketDetail,
    summary="Change status, assignee, priority override, tags or 'no response needed'",
    responses=error_responses(401, 403, 404, 412, 422, 428, 429),
)
async def patch_ticket(
    ticket_id: uuid.UUID,
    patch: TicketPatch,
    response: Response,
    caller: Annotated[Principal, Depends(requires(TICKETS_WRITE))],
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    if_match: Annotated[
        str | None, Header(max_length=200, description="The ETag of the version you saw.")
    ] = None,
) -> TicketDetail:
    """Optimistic concurrency: If-Match is required (428 without, 412 when stale)."""
    ticket = await service.change_ticket(
        session,
        ticket_id=ticket_id,
        patch=patch,
        if_match=if_match,
        caller=caller,
        now=now,
        webhooks=runtime.settings.responder.webhooks,
    )
    response.headers["ETag"] = etag_of(ticket.version)
    return await service.read_ticket(
        session, ticket=ticket, caller=caller, cipher=runtime.cipher, now=now, window=runtime.sla_window
    )
