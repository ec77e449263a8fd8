"""Zendesk updates applied to our tickets: an agent's public comment is a reply to the buyer, a status follows.

A public comment passes the same compliance linter as a reply written in our console and, when clean, becomes
an outbox row to the ticket's relay alias (key ``zendesk:<ticket>:<comment id>``: a comment is queued once
however often it is delivered); a blocked one is kept as a 'blocked' row and its ``reply_blocked`` timeline
entry goes back to Zendesk as an internal note listing the rule ids. Internal notes are ignored (ours among
them). A status older than the newest update applied (``remote_updated_at``) is ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.helpdesk import mapping
from services.responder.helpdesk import repository as repo
from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.rows import outbox_row
from services.responder.replies.compliance import lint
from services.responder.replies.mail import reply_subject
from services.responder.replies.message import OutboxReply
from services.responder.tables import Ticket
from services.responder.tickets import repository as tickets_repo
from services.responder.tickets import timeline, transitions
from shared.crypto import PiiCipher
from shared.events import HelpdeskUpdateReceived
from shared.relay import reply_target

__all__ = ["handle_helpdesk_update"]

log = logging.getLogger(__name__)


async def handle_helpdesk_update(
    event: HelpdeskUpdateReceived, *, session: AsyncSession, cipher: PiiCipher, now: datetime
) -> None:
    """Apply one update (the caller records its processed key in the same transaction)."""
    ticket = await repo.ticket_for_update(session, ticket_id=event.ticket_id, seller_id=event.seller_id)
    if ticket is None:
        log.warning(
            "helpdesk.unknown_ticket", extra={"seller_id": event.seller_id, "remote": event.remote_ticket_id}
        )
        return
    link = await repo.link_for_update(session, ticket_id=ticket.id)
    stale = (
        link is not None
        and link.remote_updated_at is not None
        and event.remote_updated_at is not None
        and event.remote_updated_at < link.remote_updated_at
    )
    actor = f"zendesk:{event.author_id}" if event.author_id is not None else "zendesk"
    if event.comment_id is not None and event.comment_public and event.text.strip():
        await _queue_reply(session, ticket, event, cipher=cipher, actor=actor, now=now)
    if event.remote_status and not stale:
        new = mapping.status_from_remote(ticket.status, event.remote_status)
        if new is not None and new != ticket.status:
            entry = timeline.field_entry(
                kind="status_changed", field="status", old=ticket.status, new=new, actor=actor, now=now
            )
            ticket.status = new
            ticket.version += 1
            await tickets_repo.add_timeline(session, ticket_id=ticket.id, entry=entry)
    if link is not None and not stale and event.remote_updated_at is not None:
        await repo.mark_remote_seen(
            session, link, status=event.remote_status, updated_at=event.remote_updated_at
        )


async def _queue_reply(
    session: AsyncSession,
    ticket: Ticket,
    event: HelpdeskUpdateReceived,
    *,
    cipher: PiiCipher,
    actor: str,
    now: datetime,
) -> None:
    alias = reply_target(cipher.decrypt(ticket.buyer_alias_enc), marketplace_id=ticket.marketplace_id)
    buyer_subject = cipher.decrypt(ticket.subject_enc) if ticket.subject_enc else None
    subject = reply_subject(buyer_subject)
    result = lint(
        event.text, channel="email", locale=ticket.language, order_id=ticket.order_id, subject=subject
    )
    rules = sorted(result.rule_ids)
    if alias is None:
        rules = sorted({*rules, "no_reply_address"})
    status = "pending" if result.ok and alias is not None else "blocked"
    key = f"zendesk:{ticket.id}:{event.comment_id}" + (":blocked" if status == "blocked" else "")
    headers = {}
    if ticket.last_message_id:
        headers = {"In-Reply-To": ticket.last_message_id, "References": ticket.last_message_id}
    reply = OutboxReply(
        status=status,
        channel="email",
        action=None,
        buyer_alias=alias,
        subject=subject,
        body=event.text,
        headers=headers,
        template_id=None,
        template_version=None,
        language=ticket.language,
        fallback=None,
        lint=[v.as_dict() for v in result.violations],
    )
    values = outbox_row(
        reply,
        key=key,
        ticket_id=ticket.id,
        seller_id=ticket.seller_id,
        marketplace_id=ticket.marketplace_id,
        order_id=ticket.order_id,
        created_by=actor,
        cipher=cipher,
    )
    outbox_id = await outbox_repo.insert_outbox(session, values=values)
    if outbox_id is None:
        return  # this comment was queued before: a buyer is never messaged twice
    entry = timeline.reply_entry(
        kind="reply_queued" if status == "pending" else "reply_blocked",
        outbox_id=outbox_id,
        status=status,
        channel="email",
        action=None,
        template_id=None,
        template_version=None,
        language=ticket.language,
        fallback=None,
        lint=rules,
        now=now,
        actor=actor,
    )
    await tickets_repo.add_timeline(session, ticket_id=ticket.id, entry=entry)
    if status == "pending":
        ticket.status = transitions.after_agent_reply_queued(ticket.status, reply_status=status)
        ticket.version += 1
