"""/console/tickets/{id}: the ticket page and its writes (lint, template, reply, status, assign)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.responder.api import buyers_service, replies_service, templates_service, tickets_service
from services.responder.api.compose import lint_out
from services.responder.api.console.auth import (
    ConsoleCaller,
    ConsoleSessionDep,
    WriterDep,
    form_of,
    secret_of,
)
from services.responder.api.console.pages import render
from services.responder.api.console.presence import Presence
from services.responder.api.console.views import (
    countdown_of,
    messages_of,
    segments,
    template_choices,
)
from services.responder.api.deps import (
    TICKET_READERS,
    NowDep,
    RuntimeDep,
    SessionDep,
    get_runtime,
)
from services.responder.api.errors import ApiError
from services.responder.api.runtime import ApiRuntime
from services.responder.api.schemas.buyers import BuyerOut
from services.responder.api.schemas.replies import PreviewRequest, ReplyCreate
from services.responder.api.schemas.tickets import TicketPatch
from services.responder.api.security import REPLIES_SEND, TEMPLATES_READ, TICKETS_READ, TICKETS_WRITE
from services.responder.api.views import etag_of
from services.responder.replies.compliance import lint
from services.responder.replies.templating import list_templates
from services.responder.tickets.status import STATUSES

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


async def _ticket(runtime: RuntimeDep, caller: ConsoleCaller, ticket_id: uuid.UUID) -> dict[str, Any]:
    body, _ = await tickets_service.detail_for(runtime, ticket_id=ticket_id, caller=caller.principal)
    doc: dict[str, Any] = orjson.loads(body)
    return doc


async def _buyer(runtime: ApiRuntime, caller: ConsoleCaller, buyer_hash: str | None) -> BuyerOut | None:
    """The buyer's history with the caller's sellers and the abuse score explained (tickets:read only)."""
    if buyer_hash is None or not caller.principal.has(TICKETS_READ):
        return None
    try:
        async with runtime.db.sessions() as session:
            return await buyers_service.buyer(
                session,
                buyer_hash=buyer_hash,
                caller=caller.principal,
                now=runtime.clock(),
                threshold=runtime.settings.classifier.abusive_threshold,
                window=runtime.sla_window,
            )
    except ApiError:
        return None  # nothing known about this buyer beyond the ticket


@router.get("/tickets/{ticket_id}")
async def ticket_page(ticket_id: uuid.UUID, caller: ConsoleSessionDep, runtime: RuntimeDep) -> Response:
    """A ticket: messages with the classifier's phrases marked, classification, order, timeline, reply."""
    if not caller.principal.has_any(TICKET_READERS):
        raise ApiError(403, "insufficient_scope", "this API key cannot read tickets")
    ticket = await _ticket(runtime, caller, ticket_id)
    choices = template_choices(list_templates(), category=ticket["category"], language=ticket.get("language"))
    return render(
        "ticket.html",
        me=caller,
        csrf=caller.token.csrf(secret_of(runtime)),
        t=ticket,
        countdown=countdown_of(ticket, now=runtime.clock(), window=runtime.sla_window),
        messages=messages_of(ticket["timeline"]),
        buyer=await _buyer(runtime, caller, ticket.get("buyer_hash")),
        templates=choices if caller.principal.has(TEMPLATES_READ) else [],
        statuses=STATUSES,
        can_write=caller.principal.has(TICKETS_WRITE),
        can_send=caller.principal.has(REPLIES_SEND),
    )


def _lint_view(text: str, locale: str | None, order_id: str | None) -> dict[str, Any]:
    result = lint_out(lint(text, channel="email", locale=locale, order_id=order_id))
    spans = [(v.start, v.end, v.rule_id) for v in result.violations if v.field == "text"]
    return {"ok": result.ok, "violations": result.violations, "parts": segments(text, spans), "text": text}


@router.post("/tickets/{ticket_id}/lint")
async def lint_draft(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, runtime: RuntimeDep
) -> Response:
    """The draft's compliance verdict with the offending spans marked (nothing is stored)."""
    ticket = await _ticket(runtime, caller, ticket_id)
    text = (await form_of(request)).get("text", "")
    return render("lint.html", **_lint_view(text, ticket.get("language"), ticket.get("order_id")))


@router.post("/tickets/{ticket_id}/template")
async def load_template(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    """The chosen template rendered with the ticket's values, into the draft box."""
    template_id = (await form_of(request)).get("template_id", "")
    preview = await templates_service.preview(
        session,
        template_id=template_id,
        request=PreviewRequest(ticket_id=ticket_id),
        caller=caller.principal,
        cipher=runtime.cipher,
    )
    return render("draft.html", text=preview.text, ticket_id=ticket_id)


@router.post("/tickets/{ticket_id}/reply")
async def send_reply(
    ticket_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    runtime: RuntimeDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Queue the draft through the outbox (as POST /v1/tickets/{id}/replies); a blocked one shows its rules."""
    if not caller.principal.has(REPLIES_SEND):
        raise ApiError(403, "insufficient_scope", "this API key lacks the scope replies:send")
    text = (await form_of(request)).get("text", "").strip()
    try:
        body = ReplyCreate(text=text)
    except ValidationError:
        return render("sent.html", blocked=True, violations=[], error="The draft is empty.")
    queued = await replies_service.queue_reply(
        session,
        ticket_id=ticket_id,
        request=body,
        idempotency_key=None,
        caller=caller.principal,
        cipher=runtime.cipher,
        now=now,
    )
    if queued.blocked and queued.draft is not None:
        violations = lint_out(queued.draft.lint).violations
        # 200, not 422: htmx swaps only 2xx answers in, and this fragment is what the agent must see.
        return render("sent.html", blocked=True, violations=violations, error=None)
    return render(
        "sent.html",
        blocked=False,
        violations=[],
        error=None,
        status_text=queued.row.status,
        headers={"HX-Trigger": "ticket-changed"},
    )


async def _change(
    request: Request,
    caller: ConsoleCaller,
    session: SessionDep,
    now: datetime,
    ticket_id: uuid.UUID,
    values: dict[str, Any],
) -> Response:
    """Apply a TicketPatch under the version the page showed (a stale page gets 412), back to the ticket."""
    if not caller.principal.has(TICKETS_WRITE):
        raise ApiError(403, "insufficient_scope", "this API key lacks the scope tickets:write")
    version = (await form_of(request)).get("version", "")
    try:
        patch = TicketPatch.model_validate(values)
    except ValidationError:
        raise ApiError(400, "invalid_change", "the change is not valid") from None
    await tickets_service.change_ticket(
        session,
        ticket_id=ticket_id,
        patch=patch,
        if_match=etag_of(int(version)) if version.isdigit() else None,
        caller=caller.principal,
        now=now,
        webhooks=(await get_runtime(request)).settings.responder.webhooks,
    )
    return RedirectResponse(f"/console/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/status")
async def change_status(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, session: SessionDep, now: NowDep
) -> Response:
    """Set the ticket's status."""
    status = (await form_of(request)).get("status")
    return await _change(request, caller, session, now, ticket_id, {"status": status})


@router.post("/tickets/{ticket_id}/priority")
async def override_priority(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, session: SessionDep, now: NowDep
) -> Response:
    """Override the automatic priority (an empty choice returns to it)."""
    chosen = (await form_of(request)).get("priority_override") or None
    return await _change(request, caller, session, now, ticket_id, {"priority_override": chosen})


@router.post("/tickets/{ticket_id}/no-response")
async def no_response_needed(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, session: SessionDep, now: NowDep
) -> Response:
    """Mark the ticket as needing no reply (the SLA clock stops)."""
    return await _change(request, caller, session, now, ticket_id, {"no_response_needed": True})


@router.post("/tickets/{ticket_id}/assign")
async def assign_to_me(
    ticket_id: uuid.UUID, request: Request, caller: WriterDep, session: SessionDep, now: NowDep
) -> Response:
    """Assign the ticket to the signed-in key."""
    return await _change(request, caller, session, now, ticket_id, {"assignee": caller.principal.actor})


@router.get("/tickets/{ticket_id}/presence")
async def who_else(
    ticket_id: uuid.UUID, request: Request, caller: ConsoleSessionDep, runtime: RuntimeDep
) -> Response:
    """Record this page as open and name the other agents who have the ticket open (polled)."""
    async with runtime.db.sessions() as session:
        await tickets_service.load_ticket(
            session, ticket_id=ticket_id, caller=caller.principal
        )  # 404 if not theirs
    # Wall-clock time, not the runtime's clock: presence is about real seconds between polls.
    presence: Presence = request.app.state.console_presence
    others = presence.visit(ticket_id, caller.principal.actor, datetime.now(UTC))
    return render("presence.html", others=others)
