"""/console/tickets/{id}/evidence: the evidence pack as a page to print (or save as PDF) for the claim."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from services.responder.api import evidence_service
from services.responder.api.console.auth import ConsoleSessionDep
from services.responder.api.console.pages import render
from services.responder.api.deps import TICKET_READERS, NowDep, ReadSessionDep, RuntimeDep
from services.responder.api.errors import ApiError

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/tickets/{ticket_id}/evidence")
async def evidence_page(
    ticket_id: uuid.UUID,
    caller: ConsoleSessionDep,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    now: NowDep,
) -> Response:
    """The same pack as GET /v1/tickets/{id}/evidence, laid out for paper."""
    if not caller.principal.has_any(TICKET_READERS):
        raise ApiError(403, "insufficient_scope", "this API key cannot read tickets")
    pack = await evidence_service.evidence_for(
        session,
        ticket_id=ticket_id,
        caller=caller.principal,
        cipher=runtime.cipher,
        now=now,
        window=runtime.sla_window,
    )
    return render("evidence.html", p=pack)
