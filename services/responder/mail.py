"""Pure construction of reply e-mails to a buyer's relay alias."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.responder.transports import OutboundMessage
    from shared.settings import MailSettings

__all__ = ["SMTP_POLICY", "build_reply_email", "reply_subject", "sender_address", "wire_reply"]

_RE_PREFIX = re.compile(r"^\s*(re|aw|antw|r|rif|res|sv|vs|答复|回复)\s*[:：]\s*", re.IGNORECASE)


def reply_subject(original: str | None) -> str:
    """``Re:`` the original subject, without stacking prefixes."""
    subject = (original or "").strip()
    while _RE_PREFIX.match(subject):
        subject = _RE_PREFIX.sub("", subject, count=1)
    return f"Re: {subject}" if subject else "Re: your message"


def build_reply_email(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    in_reply_to: str | None,
    references: Sequence[str] = (),
    message_id_domain: str,
    message_key: str,
    date: datetime,
) -> EmailMessage:
    """A plain-text UTF-8 reply threaded with In-Reply-To / References."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(idstring=message_key, domain=message_id_domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        refs = [r for r in references if r] or []
        if in_reply_to not in refs:
            refs.append(in_reply_to)
        msg["References"] = " ".join(refs)
    # quoted-printable keeps the wire 7-bit clean: relays without 8BITMIME accept it unchanged
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def sender_address(settings: MailSettings, seller_id: str) -> str:
    """The authorised sender address registered with Amazon for this seller."""
    return settings.sender_addresses.get(seller_id, settings.default_sender)


def wire_reply(message: OutboundMessage, *, sender: str, now: datetime) -> bytes:
    """The reply as CRLF wire bytes, threaded to the buyer's message (recipient checked by the caller)."""
    email = build_reply_email(
        sender=sender,
        to=message.to or "",
        subject=message.subject or "Re: your message",
        body=message.body,
        in_reply_to=message.headers.get("In-Reply-To"),
        references=message.headers.get("References", "").split(),
        message_id_domain=sender.rpartition("@")[2] or "localhost",
        message_key=message.outbox_id,
        date=now,
    )
    return email.as_bytes(policy=SMTP_POLICY)
