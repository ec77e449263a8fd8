"""RFC 822 bytes to what a relay-mail parser needs: headers, text body, HTML ``<pre>`` blocks, attachments."""

from __future__ import annotations

import codecs
import email
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime

from services.ingest.parse.html_text import html_to_text
from shared.errors import ValidationError

__all__ = ["Address", "MailContent", "decode_bytes", "read_mail"]

# Mail user agents label Microsoft code pages with the ISO/JIS names; decoding with the superset keeps
# characters such as the circled digits or the wave dash that plain Shift_JIS / ISO-8859-1 reject.
_CHARSET_SUPERSETS = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
}
# RecursionError: the structured-header parser recurses once per nested comment, so "((((..." inside the
# length cap still overflows the stack; such a header is unreadable, like any other malformed one.
_HEADER_ERRORS = (
    ValueError,
    IndexError,
    TypeError,
    AttributeError,
    LookupError,
    MessageError,
    RecursionError,
)

# The stdlib's structured-header parser is quadratic in the value's length (a 128 KB Content-Type took 8 s,
# a 1 MB one minutes): values are cut before it sees them. No real header comes near this (RFC 5322 lines
# stop at 998 characters; a long References folds a few dozen ids).
MAX_HEADER_CHARS = 4096
# Bounds on what one mail may make the parser do: parts walked and distinct headers read.
MAX_PARTS = 200
_MAX_HEADERS = 128


class _BoundedPolicy(EmailPolicy):
    """``policy.default`` with every header value cut to ``MAX_HEADER_CHARS`` before it is parsed."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return super().header_fetch_parse(name, value[:MAX_HEADER_CHARS])  # type: ignore[no-any-return]


_POLICY = _BoundedPolicy()


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: display name and lower-cased address."""

    name: str
    addr: str


@dataclass(frozen=True, slots=True)
class MailContent:
    """Decoded view of one mail."""

    headers: dict[str, str]
    subject: str | None
    from_: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    sender: tuple[Address, ...]
    to: tuple[Address, ...]
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    plain: str
    html: str
    html_text: str
    pre_blocks: tuple[str, ...]
    attachments: tuple[str, ...]

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower())


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body bytes with the declared charset (or its Microsoft superset), falling back to UTF-8."""
    label = (charset or "utf-8").strip().strip('"').lower()
    candidates = [_CHARSET_SUPERSETS.get(label, label), label, "utf-8"]
    for name in candidates:
        try:
            codecs.lookup(name)
            return data.decode(name)
        except (LookupError, ValueError, TypeError):
            # Unknown label, undecodable bytes, or a codec that always fails ("undefined", "idna").
            continue
    return data.decode("utf-8", "replace")


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except _HEADER_ERRORS:
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _addresses(msg: Message, name: str) -> tuple[Address, ...]:
    raw = _header(msg, name)
    if raw is None:
        return ()
    try:
        pairs = getaddresses([raw])
    except _HEADER_ERRORS:
        return ()
    return tuple(Address(display.strip(), addr.strip().lower()) for display, addr in pairs if "@" in addr)


def _message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = [
        token for token in value.replace(",", " ").split() if token.startswith("<") and token.endswith(">")
    ]
    return tuple(ids) if ids else (value.strip(),)


def _date(msg: Message) -> datetime | None:
    raw = _header(msg, "Date")
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    # A Date without a zone ("-0000" or none) says nothing reliable about the instant; callers fall back.
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except OverflowError:  # year 9999 (or 1) shifted by its offset leaves the datetime range
        return None


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


def _attachment_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except _HEADER_ERRORS:
        name = None
    if name:
        return " ".join(name.split())
    content_type = part.get_content_type()
    extension = ".eml" if content_type == "message/rfc822" else mimetypes.guess_extension(content_type)
    extension = extension or ".bin"
    return f"attachment-{index}{extension}"


def _walk(part: Message, plain: list[str], html: list[str], attachments: list[str], seen: list[int]) -> None:
    seen[0] += 1
    if seen[0] > MAX_PARTS:
        raise ValidationError(f"mail has more than {MAX_PARTS} MIME parts")
    if part.get_content_maintype() == "multipart":
        children = part.get_payload()
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _walk(child, plain, html, attachments, seen)
        return
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    try:
        has_name = bool(part.get_filename())
    except _HEADER_ERRORS:
        has_name = False
    is_body = content_type in {"text/plain", "text/html"} and disposition != "attachment" and not has_name
    if not is_body:
        attachments.append(_attachment_name(part, len(attachments) + 1))
    elif content_type == "text/plain":
        plain.append(_part_text(part))
    else:
        html.append(_part_text(part))


def read_mail(raw: bytes) -> MailContent:
    """Parse RFC 822 bytes (multipart, quoted-printable, base64, any charset) into a MailContent."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    try:
        msg = email.message_from_bytes(raw, _class=EmailMessage, policy=_POLICY)
        _walk(msg, plain, html, attachments, [0])
    except RecursionError as exc:
        # The stdlib parser recurses once per nested part; a mail nested a thousand deep is not a buyer's.
        raise ValidationError("mail nests its MIME parts too deeply to be read") from exc
    html_joined = "\n".join(html)
    rendered = html_to_text(html_joined) if html_joined.strip() else None
    headers: dict[str, str] = {}
    for key in list(dict.fromkeys(msg.keys()))[:_MAX_HEADERS]:
        value = _header(msg, key)
        if value is not None:
            headers[key.lower()] = value
    return MailContent(
        headers=headers,
        subject=_header(msg, "Subject"),
        from_=_addresses(msg, "From"),
        reply_to=_addresses(msg, "Reply-To"),
        sender=_addresses(msg, "Sender"),
        to=_addresses(msg, "To") + _addresses(msg, "Cc") + _addresses(msg, "Delivered-To"),
        message_id=_header(msg, "Message-ID"),
        in_reply_to=_header(msg, "In-Reply-To"),
        references=_message_ids(_header(msg, "References")),
        date=_date(msg),
        plain="\n".join(text.replace("\r\n", "\n").replace("\r", "\n") for text in plain),
        html=html_joined,
        html_text=rendered.text if rendered else "",
        pre_blocks=rendered.pre_blocks if rendered else (),
        attachments=tuple(attachments),
    )
