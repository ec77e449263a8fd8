"""The one outbox-row builder: automatic and API replies become rows the same way (PII encrypted)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.responder.replies.message import OutboxReply
from shared.crypto import PiiCipher

__all__ = ["outbox_row"]


def outbox_row(
    reply: OutboxReply,
    *,
    key: str,
    ticket_id: uuid.UUID,
    seller_id: str,
    marketplace_id: str | None,
    order_id: str | None,
    created_by: str,
    cipher: PiiCipher,
    traceparent: str | None = None,
    sealed: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Column values for ``outbox_messages``; only an e-mail keeps the buyer alias it goes to. ``sealed``:
    tokens the caller has just made for clear values (the ticket's new alias), not encrypted a second time."""
    buyer_alias = reply.buyer_alias if reply.channel == "email" else None
    to_enc = sealed.get(buyer_alias) if sealed and buyer_alias is not None else None
    return {
        "idempotency_key": key,
        "ticket_id": ticket_id,
        "seller_id": seller_id,
        "marketplace_id": marketplace_id,
        "order_id": order_id,
        "channel": reply.channel,
        "action": reply.action,
        "status": reply.status,
        "template_id": reply.template_id,
        "template_version": reply.template_version,
        "language": reply.language,
        "fallback": reply.fallback,
        "lint": list(reply.lint),
        "mail_headers": dict(reply.headers),
        "to_enc": to_enc or cipher.encrypt(buyer_alias),  # column name kept: it is the buyer alias
        "subject_enc": cipher.encrypt(reply.subject),
        "body_enc": cipher.encrypt(reply.body),
        "created_by": created_by,
        "traceparent": traceparent,
    }
