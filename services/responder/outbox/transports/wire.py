"""The wire form of an e-mail reply, built before any connection is opened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.responder.outbox.transports import OutboundMessage
from services.responder.replies.mail import wire_reply
from shared.errors import ComplaintsError, PermanentError

__all__ = ["build_mail"]


def build_mail(sender_of: Callable[[], str], message: OutboundMessage) -> tuple[str, bytes]:
    """(sender address, MIME bytes); a message that cannot be built fails for good: nothing was sent."""
    try:
        sender = sender_of()
        return sender, wire_reply(message, sender=sender, now=datetime.now(UTC))
    except ComplaintsError:
        raise
    except Exception as exc:  # a malformed address or header: no retry can fix the row
        raise PermanentError(f"reply cannot be built: {type(exc).__name__}", code="bad_message") from exc
