"""POST /tickets/{id}/replies: lint, then queue through the same outbox as automatic replies.

Idempotency key: ``api:<ticket>:<Idempotency-Key header>`` or, without the header, ``api:<ticket>:<hash of
channel, subject and text>``, so a retried or double-clicked request queues nothing new. A blocked draft is
kept as a 'blocked' outbox row (under a key of its own, so a corrected text may reuse the client's key).

An e-mail reply goes only to the ticket's stored relay alias, checked again here (``shared.relay``): a ticket
without one gets 422 ``no_reply_address``, one whose stored address is no relay alias of its marketplace (a
row from before that check) gets 409 ``reply_address_rejected``; nothing is queued for either.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.compose import ComposeError, Draft, compose_reply, ticket_variables
from services.responder.api.errors import ApiError
from services.responder.api.repositories import replies as repo
from services.responder.api.repositories import tickets as tickets_repo
from services.responder.api.schemas.replies import ReplyCreate
from services.responder.api.security import Principal
from services.responder.api.tickets_service import load_ticket
from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.rows import outbox_row
from services.responder.replies.ids import ChannelId
from services.responder.replies.message import OutboxReply
from services.responder.tables import OutboxMessage, Ticket
from services.responder.tickets import repository as responder_repo
from services.responder.tickets import timeline, transitions
from shared.crypto import PiiCipher
from shared.relay import reply_target

__all__ = ["QueuedReply", "queue_reply"]


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """The outbox row, whether this request created it, and the draft's lint verdict."""

    row: OutboxMessage
    replayed: bool
    blocked: bool
    draft: Draft | None


def _fingerprint(draft: Draft) -> str:
    raw = f"{draft.channel}\x00{draft.subject or ''}\x00{draft.text}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _outbox_reply(ticket: Ticket, draft: Draft, *, status: str, buyer_alias: str | None) -> OutboxReply:
    channel = ChannelId.parse(draft.channel)
    kind, action = channel.kind, channel.action
    headers = {}
    if kind == "email" and ticket.last_message_id:
        headers = {"In-Reply-To": ticket.last_message_id, "References": ticket.last_message_id}
    return OutboxReply(
        status=status,
        channel=kind,
        action=action,
        buyer_alias=buyer_alias,
        subject=draft.subject,
        body=draft.text,
        headers=headers,
        template_id=draft.template_id,
        template_version=draft.template_version,
        language=draft.language,
        fallback=draft.fallback,
        lint=[v.as_dict() for v in draft.lint.violations],
    )


def _wants_email(request: ReplyCreate) -> bool:
    """An explicit e-mail channel or an e-mail template (without either, the channel follows the address)."""
    return request.channel == "email" or (request.template_id or "").startswith("email/")


async def _insert(session: AsyncSession, values: dict[str, Any]) -> tuple[OutboxMessage, bool]:
    new_id = await outbox_repo.insert_outbox(session, values=values)
    row = await repo.outbox_by_key(session, key=values["idempotency_key"])
    assert row is not None  # inserted now or by the earlier request that owns the key
    return row, new_id is None


async def queue_reply(
    session: AsyncSession,
    *,
    ticket_id: uuid.UUID,
    request: ReplyCreate,
    idempotency_key: str | None,
    caller: Principal,
    cipher: PiiCipher,
    now: datetime,
) -> QueuedReply:
    """Compose, lint and queue (or keep as blocked) a reply on the caller's ticket."""
    ticket = await load_ticket(session, ticket_id=ticket_id, caller=caller, for_update=True)
    order = await tickets_repo.order_context(session, seller_id=ticket.seller_id, order_id=ticket.order_id)
    buyer_subject = cipher.decrypt(ticket.subject_enc) if ticket.subject_enc else None
    stored = cipher.decrypt(ticket.buyer_alias_enc)
    buyer_alias = reply_target(stored, marketplace_id=ticket.marketplace_id)
    if stored is not None and buyer_alias is None and _wants_email(request):
        raise ApiError(
            409,
            "reply_address_rejected",
            "the ticket's stored reply address is not an Amazon relay alias of its marketplace; no e-mail is sent",
        )
    try:
        draft = compose_reply(
            request,
            order_id=ticket.order_id,
            marketplace_id=ticket.marketplace_id,
            ticket_language=ticket.language,
            buyer_subject=buyer_subject,
            has_reply_address=buyer_alias is not None,
            known=ticket_variables(
                order_id=ticket.order_id, asin=ticket.asin, subject=buyer_subject, order=order
            ),
        )
    except ComposeError as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    fingerprint = _fingerprint(draft)
    key = f"api:{ticket.id}:{idempotency_key or fingerprint}"
    if idempotency_key:
        earlier = await repo.outbox_by_key(session, key=key)
        if earlier is not None:
            if earlier.body_enc is not None and cipher.decrypt(earlier.body_enc) != draft.text:
                raise ApiError(
                    409, "idempotency_key_reused", "this Idempotency-Key was used for another reply"
                )
            return QueuedReply(earlier, replayed=True, blocked=False, draft=draft)
    status = "pending" if draft.lint.ok else "blocked"
    if status == "blocked":
        key = f"api:{ticket.id}:blocked:{fingerprint}"
    values = outbox_row(
        _outbox_reply(ticket, draft, status=status, buyer_alias=buyer_alias),
        key=key,
        ticket_id=ticket.id,
        seller_id=ticket.seller_id,
        marketplace_id=ticket.marketplace_id,
        order_id=ticket.order_id,
        created_by=caller.actor,
        cipher=cipher,
    )
    row, replayed = await _insert(session, values)
    if not replayed:
        entry = timeline.reply_entry(
            kind="reply_queued" if status == "pending" else "reply_blocked",
            outbox_id=row.id,
            status=status,
            channel=row.channel,
            action=row.action,
            template_id=draft.template_id,
            template_version=draft.template_version,
            language=draft.language,
            fallback=draft.fallback,
            lint=sorted(draft.lint.rule_ids),
            now=now,
            actor=caller.actor,
        )
        await responder_repo.add_timeline(session, ticket_id=ticket.id, entry=entry)
        if status == "pending":
            ticket.status = transitions.after_agent_reply_queued(ticket.status, reply_status=status)
            ticket.version += 1
    return QueuedReply(row, replayed=replayed, blocked=status == "blocked", draft=draft)
