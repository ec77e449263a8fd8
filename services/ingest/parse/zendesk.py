"""Zendesk webhooks (pure): signature and replay window, then the event-subscription body as an event.

Zendesk signs ``timestamp + body`` with the webhook's secret: ``X-Zendesk-Webhook-Signature`` is
base64(HMAC-SHA256), ``X-Zendesk-Webhook-Signature-Timestamp`` an ISO 8601 time. A request more than
``tolerance_s`` away from now is a replay (or a clock far off) and is refused like a bad signature.

Bodies understood (Zendesk ticket event subscriptions): ``zen:event-type:ticket.comment_added`` (``event.comment``
with ``id``, ``body``, ``is_public``, ``author.id``) and ``zen:event-type:ticket.status_changed``
(``event.current``); both carry ``detail`` with the ticket's ``id``, ``external_id`` (our ticket id),
``status`` and ``updated_at``. Other types are answered 400 and kept, like any body that is not such JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

import pydantic

from shared.crypto import digests_equal
from shared.errors import ValidationError
from shared.events import HelpdeskUpdateReceived, SignalSource, event_id_for

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureRefused",
    "parse_zendesk_webhook",
    "sign_zendesk",
    "verify_zendesk",
]

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
_COMMENT = "zen:event-type:ticket.comment_added"
_STATUS = "zen:event-type:ticket.status_changed"


class SignatureRefused(Exception):
    """Missing or wrong signature, or a timestamp outside the replay window (answered 401, not kept)."""


def sign_zendesk(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk sends for ``body`` at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def verify_zendesk(
    secret: str, *, timestamp: str, signature: str, body: bytes, now: datetime, tolerance_s: float
) -> None:
    """Raise SignatureRefused unless the signature matches (constant time) and the timestamp is fresh."""
    try:
        sent = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureRefused("signature timestamp is not an ISO 8601 time") from None
    if sent.tzinfo is None:
        raise SignatureRefused("signature timestamp has no time zone")
    if abs((now - sent).total_seconds()) > tolerance_s:
        raise SignatureRefused("signature timestamp outside the replay window")
    if not signature or not digests_equal(sign_zendesk(secret, timestamp, body), signature.strip()):
        raise SignatureRefused("signature does not match")


def _int(value: Any, what: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ValidationError(f"zendesk webhook: {what} is not a number") from None
    if number < 1:
        raise ValidationError(f"zendesk webhook: {what} is not positive")
    return number


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("zendesk webhook: updated_at is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else None


def parse_zendesk_webhook(body: bytes, *, seller_id: str, received_at: datetime) -> HelpdeskUpdateReceived:
    """The update a verified webhook body describes (ValidationError when it is none we understand)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("zendesk webhook: body is not JSON") from None
    if not isinstance(doc, dict):
        raise ValidationError("zendesk webhook: body is not a JSON object")
    kind = doc.get("type")
    detail, event = doc.get("detail"), doc.get("event")
    if kind not in (_COMMENT, _STATUS) or not isinstance(detail, dict) or not isinstance(event, dict):
        raise ValidationError(f"zendesk webhook: unsupported event type {str(kind)[:80]!r}")
    try:
        ticket_id = uuid.UUID(str(detail.get("external_id")))
    except ValueError:
        raise ValidationError(
            "zendesk webhook: the ticket's external_id is not one of our ticket ids"
        ) from None
    remote_id = _int(detail.get("id"), "ticket id")
    updated_at = _time(detail.get("updated_at"))
    fields: dict[str, Any] = {}
    if kind == _COMMENT:
        comment = event.get("comment")
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
            raise ValidationError("zendesk webhook: comment_added without a comment body")
        author = comment.get("author")
        comment_id = _int(comment.get("id"), "comment id")
        fields = {
            "comment_id": comment_id,
            "comment_public": comment.get("is_public") is True,
            "author_id": _int(author.get("id"), "author id") if isinstance(author, dict) else None,
            "text": comment["body"],
        }
        dedup = f"zendesk:{seller_id}:comment:{comment_id}"
        status = detail.get("status")
    else:
        status = event.get("current")
        dedup = f"zendesk:{seller_id}:status:{remote_id}:{status}:{detail.get('updated_at')}"
    try:
        return _event(
            dedup,
            seller_id=seller_id,
            received_at=received_at,
            remote_id=remote_id,
            ticket_id=ticket_id,
            status=status,
            updated_at=updated_at,
            fields=fields,
        )
    except pydantic.ValidationError as exc:
        raise ValidationError(f"zendesk webhook: {exc.error_count()} invalid field(s)") from None


def _event(
    dedup: str,
    *,
    seller_id: str,
    received_at: datetime,
    remote_id: int,
    ticket_id: uuid.UUID,
    status: Any,
    updated_at: datetime | None,
    fields: dict[str, Any],
) -> HelpdeskUpdateReceived:
    return HelpdeskUpdateReceived(
        event_id=event_id_for(dedup),
        occurred_at=updated_at or received_at,
        seller_id=seller_id,
        dedup_key=dedup,
        correlation_id=f"zendesk:{remote_id}",
        source=SignalSource.HELPDESK,
        helpdesk="zendesk",
        ticket_id=ticket_id,
        remote_ticket_id=remote_id,
        remote_status=str(status).lower()[:16] if isinstance(status, str) else None,
        remote_updated_at=updated_at,
        **fields,
    )
