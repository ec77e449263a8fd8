"""Pure construction of reply e-mails to a buyer's relay alias.

Every header value is made safe here, whoever wrote it (a buyer's subject quoted in ``Re:``, an agent, a
template, a Message-ID from the buyer's mail): line and paragraph separators (CR, LF, U+0085, U+2028,
U+2029), NUL and every other control character become a space, so a value can neither fail the send nor
start a header of its own (``Bcc:``); a Message-ID reference that is not one ``<token>`` is left out. The
recipient must be a relay alias of the message's marketplace (``checked_recipient``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from shared.cleaning import clean_text
from shared.errors import PermanentError
from shared.relay import reply_target

if TYPE_CHECKING:
    from services.responder.replies.message import OutboundMessage
    from services.responder.settings import MailSettings

__all__ = [
    "SMTP_POLICY",
    "build_reply_email",
    "checked_recipient",
    "header_text",
    "reply_subject",
    "sender_address",
    "wire_reply",
]

_RE_PREFIX = re.compile(r"^\s*(re|aw|antw|r|rif|res|sv|vs|答复|回复)\s*[:：]\s*", re.IGNORECASE)
# Cc: C0/C1 controls (CR, LF, NUL, U+0085 ...); Zl/Zp: U+2028/U+2029; Cs: lone surrogates UTF-8 cannot carry.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
_MSG_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII without < > or spaces, inside angle brackets
_MAX_HEADER = 500
_MAX_REFERENCES = 20


def header_text(value: str | None, *, limit: int = _MAX_HEADER) -> str:
    """One header line: every control or line/paragraph separator becomes a space, runs of space collapse."""
    text = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in value or "")
    return " ".join(text.split())[:limit].strip()


def _message_ids(values: Sequence[str]) -> list[str]:
    """The well-formed ``<id>`` tokens, in order, without repeats."""
    found: list[str] = []
    for value in values:
        for token in (value or "").split():
            if _MSG_ID.fullmatch(token) and token not in found:
                found.append(token)
    return found


def checked_recipient(message: OutboundMessage) -> str:
    """The message's recipient when it is a relay alias of its marketplace; PermanentError otherwise."""
    buyer_alias = reply_target(message.buyer_alias, marketplace_id=message.marketplace_id)
    if buyer_alias is None:
        raise PermanentError(
            "recipient is not an Amazon relay alias of the message's marketplace", code="not_relay_alias"
        )
    return buyer_alias


def reply_subject(original: str | None) -> str:
    """``Re:`` the original subject, without stacking prefixes."""
    subject = header_text(original)
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
    """A plain-text UTF-8 reply threaded with In-Reply-To / References; every header value made safe."""
    msg = EmailMessage()
    msg["From"] = header_text(sender)
    msg["To"] = header_text(to)
    msg["Subject"] = header_text(subject) or "Re: your message"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(
        idstring=header_text(message_key, limit=64).replace(" ", "") or None,
        domain=header_text(message_id_domain, limit=253).replace(" ", "") or "localhost",
    )
    parent = _message_ids([in_reply_to or ""])[:1]
    if parent:
        msg["In-Reply-To"] = parent[0]
        refs = [r for r in _message_ids(references) if r != parent[0]][-(_MAX_REFERENCES - 1) :]
        msg["References"] = " ".join([*refs, parent[0]])
    # quoted-printable keeps the wire 7-bit clean: relays without 8BITMIME accept it unchanged
    msg.set_content(clean_text(body), subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def sender_address(settings: MailSettings, seller_id: str) -> str:
    """The authorised sender address registered with Amazon for this seller."""
    return settings.sender_addresses.get(seller_id, settings.default_sender)


def wire_reply(message: OutboundMessage, *, sender: str, now: datetime) -> bytes:
    """The reply as CRLF wire bytes, threaded to the buyer's message, to the checked relay alias."""
    email = build_reply_email(
        sender=sender,
        to=checked_recipient(message),
        subject=message.subject or "Re: your message",
        body=message.body,
        in_reply_to=message.headers.get("In-Reply-To"),
        references=message.headers.get("References", "").split(),
        message_id_domain=sender.rpartition("@")[2] or "localhost",
        message_key=message.outbox_id,
        date=now,
    )
    return email.as_bytes(policy=SMTP_POLICY)
