"""POST /v1/tickets/{id}/replies and POST /v1/replies/lint."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse

from services.responder.api import replies_service as service
from services.responder.api.compose import lint_out
from services.responder.api.deps import CallerDep, NowDep, RuntimeDep, SessionDep, requires
from services.responder.api.errors import error_body
from services.responder.api.schemas.common import error_responses
from services.responder.api.schemas.replies import LintOut, LintRequest, ReplyCreate, ReplyCreated
from services.responder.api.security import REPLIES_SEND, TICKETS_READ, Principal
from services.responder.api.views import reply_of
from services.responder.replies.compliance import lint

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["replies"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="Repeat a request with the same key and the reply is queued once.",
    ),
]


@router.post(
    "/tickets/{ticket_id}/replies",
    response_model=ReplyCreated,
    status_code=201,
    summary="Reply from a template or with free text",
    responses={
        200: {"model": ReplyCreated, "description": "A repeated request: the reply queued before."},
        **error_responses(401, 403, 404, 409, 422, 429),
    },
)
async def create_reply(
    ticket_id: uuid.UUID,
    body: ReplyCreate,
    response: Response,
    caller: Annotated[Principal, Depends(requires(REPLIES_SEND))],
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> ReplyCreated | JSONResponse:
    """Linted first: a blocked draft is kept (status 'blocked') and answered 422 with its violations."""
    queued = await service.queue_reply(
        session,
        ticket_id=ticket_id,
        request=body,
        idempotency_key=idempotency_key,
        caller=caller,
        cipher=runtime.cipher,
        now=now,
    )
    if queued.blocked and queued.draft is not None:
        violations = [v.model_dump() for v in lint_out(queued.draft.lint).violations]
        doc = error_body(
            "reply_blocked", "the reply breaks Amazon's messaging rules; it was kept as a draft", violations
        )
        doc["error"]["draft_id"] = str(queued.row.id)
        return JSONResponse(doc, 422)  # returned, not raised: the blocked draft row must be committed
    if queued.replayed:
        response.status_code = 200
    reply = reply_of(queued.row, runtime.cipher if caller.has(TICKETS_READ) else None)
    return ReplyCreated(
        **reply.model_dump(), idempotency_key=queued.row.idempotency_key, replayed=queued.replayed
    )


@router.post(
    "/replies/lint",
    response_model=LintOut,
    summary="Check a draft against Amazon's messaging rules",
    responses=error_responses(401, 422, 429),
)
async def lint_reply(body: LintRequest, caller: CallerDep) -> LintOut:
    """Nothing is stored."""
    return lint_out(
        lint(
            body.text, channel=body.channel, locale=body.locale, order_id=body.order_id, subject=body.subject
        )
    )
