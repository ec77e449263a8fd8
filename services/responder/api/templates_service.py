"""Template catalogue and previews (rendered with a ticket's values or with samples)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.compose import ComposeError, lint_out, render_template, ticket_variables
from services.responder.api.errors import ApiError
from services.responder.api.repositories import tickets as tickets_repo
from services.responder.api.schemas.replies import PreviewOut, PreviewRequest, TemplateOut
from services.responder.api.security import TICKETS_READ, Principal
from services.responder.api.tickets_service import load_ticket
from services.responder.replies.ids import TemplateId
from services.responder.replies.templating import (
    list_templates,
    sample_variables,
)
from shared.crypto import PiiCipher

__all__ = ["preview", "templates"]


def templates() -> list[TemplateOut]:
    """Every repo template."""
    return [
        TemplateOut(
            id=t.template_id,
            channel=t.channel,
            category=t.category,
            language=t.language,
            version=t.version,
            subject=t.subject,
            source=t.source,
        )
        for t in list_templates()
    ]


def _parse(template_id: str) -> tuple[str, str, str]:
    known = {t.template_id for t in list_templates()}
    if template_id not in known:
        raise ApiError(404, "template_not_found", "no such template")
    parsed = TemplateId.parse(template_id)
    return parsed.channel, parsed.category, parsed.language


async def preview(
    session: AsyncSession, *, template_id: str, request: PreviewRequest, caller: Principal, cipher: PiiCipher
) -> PreviewOut:
    """Render and lint; nothing is stored."""
    channel, category, lang = _parse(template_id)
    variables: dict[str, object] = sample_variables(lang)
    marketplace_id = None
    if request.ticket_id is not None:
        if not caller.has(TICKETS_READ):
            raise ApiError(403, "insufficient_scope", "previews with a ticket's data need tickets:read")
        ticket = await load_ticket(session, ticket_id=request.ticket_id, caller=caller)
        order = await tickets_repo.order_context(
            session, seller_id=ticket.seller_id, order_id=ticket.order_id
        )
        subject = cipher.decrypt(ticket.subject_enc) if ticket.subject_enc else None
        variables = {k: v for k, v in variables.items() if k in ("seller_name",)}
        variables |= ticket_variables(
            order_id=ticket.order_id, asin=ticket.asin, subject=subject, order=order
        )
        marketplace_id = ticket.marketplace_id
    variables |= request.variables
    try:
        r = render_template(
            category=category,
            channel=channel,
            language=lang,
            marketplace_id=marketplace_id,
            variables=variables,
        )
    except ComposeError as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    return PreviewOut(
        template_id=r.template_id,
        template_version=r.template_version,
        language=r.language,
        fallback=r.fallback,
        subject=r.subject,
        text=r.text,
        lint=lint_out(r.lint),
    )
