"""Ways a queued reply leaves the system, each classifying its failures the same way.

send() returns normally      -> the message was accepted (sent)
Throttled                    -> refused for rate reasons before anything happened: stays due, never given up
RetryableError               -> certainly NOT accepted (refused before the payload went out): retry later
OutcomeUnknown               -> the payload may have been accepted: never re-sent automatically
Skipped                      -> Amazon's rules leave this one out (a solicitation not offered): nothing sent
PermanentError               -> refused for good (bad address, not allowed for this order)
"""

from __future__ import annotations

from typing import Protocol

from services.responder.replies.message import OutboundMessage
from services.responder.tables import OutboxMessage
from shared.crypto import PiiCipher
from shared.errors import OutcomeUnknown, PermanentError, Throttled  # re-exported: defined in the one tree

__all__ = ["OutboundMessage", "OutcomeUnknown", "Skipped", "Throttled", "Transport", "decrypt_row"]


class Skipped(PermanentError):
    """Nothing was sent and nothing should be: the row ends ``skipped`` with ``code`` as its reason."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


def decrypt_row(row: OutboxMessage, cipher: PiiCipher) -> OutboundMessage:
    """The message of an outbox row, PII decrypted."""
    return OutboundMessage(
        outbox_id=str(row.id),
        seller_id=row.seller_id,
        marketplace_id=row.marketplace_id,
        order_id=row.order_id,
        channel=row.channel,
        action=row.action,
        buyer_alias=cipher.decrypt(row.to_enc),
        subject=cipher.decrypt(row.subject_enc),
        body=cipher.decrypt(row.body_enc) or "",
        language=row.language,
        template_id=row.template_id,
        headers={str(k): str(v) for k, v in (row.mail_headers or {}).items()},
    )


class Transport(Protocol):
    """Sends one message or raises one of the classified errors above."""

    async def send(self, message: OutboundMessage) -> None:
        """Deliver the message."""
        ...
