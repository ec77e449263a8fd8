"""The one outbox-row builder: automatic and API replies become rows the same way (PII encrypted)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.crypto import PiiCipher

__all__ = ["OutboxReply", "outbox_row"]


@dataclass(frozen=True, slots=True)
class OutboxReply:
    """What a reply says and how it goes, before it is a row."""

    status: str  # pending | draft | blocked
    channel: str  # email | messaging
    action: str | None
    buyer_alias: str | None
    subject: str | None
    body: str
    headers: Mapping[str, str]
    template_id: str | None
    template_version: str | None
    language: str | None
    fallback: str | None
    lint: Sequence[dict[str, object]]


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
) -> dict[str, Any]:
    """Column values for ``outbox_messages``; only an e-mail keeps the buyer alias it goes to."""
    buyer_alias = reply.buyer_alias if reply.channel == "email" else None
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
        "to_enc": cipher.encrypt(buyer_alias),  # column name kept: it is the buyer alias
        "subject_enc": cipher.encrypt(reply.subject),
        "body_enc": cipher.encrypt(reply.body),
        "created_by": created_by,
    }
