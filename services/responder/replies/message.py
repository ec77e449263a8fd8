"""The reply as it leaves: a decrypted outbox row that mail rendering and the transports read."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OutboundMessage"]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A decrypted outbox row, ready to send."""

    outbox_id: str
    seller_id: str
    marketplace_id: str | None
    order_id: str | None
    channel: str
    action: str | None
    to: str | None
    subject: str | None
    body: str
    language: str | None
    template_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
