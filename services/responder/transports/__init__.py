"""Ways a queued reply leaves the system, each classifying its failures the same way.

send() returns normally      -> the message was accepted (sent)
RetryableError               -> certainly NOT accepted (refused before the payload went out): retry later
OutcomeUnknown               -> the payload may have been accepted: never re-sent automatically
PermanentError               -> refused for good (bad address, not allowed for this order)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shared.errors import ComplaintsError

__all__ = ["OutboundMessage", "OutcomeUnknown", "Transport"]


class OutcomeUnknown(ComplaintsError):
    """The request may have reached the remote side; nobody knows whether it acted."""

    code = "outcome_unknown"


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


class Transport(Protocol):
    """Sends one message or raises one of the classified errors above."""

    async def send(self, message: OutboundMessage) -> None:
        """Deliver the message."""
        ...
