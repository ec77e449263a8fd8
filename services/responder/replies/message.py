"""A reply as values: before it is an outbox row (``OutboxReply``) and as it leaves (``OutboundMessage``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["OutboundMessage", "OutboxReply"]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A decrypted outbox row, ready to send."""

    outbox_id: str
    seller_id: str
    marketplace_id: str | None
    order_id: str | None
    channel: str
    action: str | None
    buyer_alias: str | None
    subject: str | None
    body: str
    language: str | None
    template_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


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
