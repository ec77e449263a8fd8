"""Reply e-mails: no header value, whoever wrote it, can fail the build or add a header; relay recipients only."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from services.responder.outbox.transports import OutboundMessage
from services.responder.replies.mail import (
    build_reply_email,
    checked_recipient,
    header_text,
    reply_subject,
    wire_reply,
)
from shared.errors import PermanentError

ALIAS = "k3xq9wz7m2bd5tf@marketplace.amazon.com"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NASTY = [
    "Where is it?\u2028Bcc: attacker@evil.example",
    "Where is it?\u2029X-Injected: 1",
    "Where is it?\r\nBcc: attacker@evil.example",
    "Where is it?\rBcc: attacker@evil.example",
    "Where is it?\nBcc: attacker@evil.example",
    "Where\x00 is\x85 it?\x0b\x0c\x1b[0m",
    "Where is it?\ud800",
    "\u2028\u2029\r\n\x00",
    "x" * 5000,
]
_OURS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


def _message(**fields: object) -> OutboundMessage:
    values: dict[str, object] = {
        "outbox_id": "0b6f5d8e-1f0e-4a52-9d0c-3f1f7f6f2a11",
        "seller_id": "A2SELLER",
        "marketplace_id": "ATVPDKIKX0DER",
        "order_id": "123-1234567-1234567",
        "channel": "email",
        "action": None,
        "buyer_alias": ALIAS,
        "subject": "Re: Where is my parcel?",
        "body": "Hello, your parcel is on its way.",
        "language": "en",
    }
    values.update(fields)
    return OutboundMessage(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("subject", NASTY)
def test_any_subject_builds_one_safe_header(subject: str) -> None:
    wire = wire_reply(
        _message(subject=subject, headers={"In-Reply-To": subject, "References": subject}),
        sender="support@seller.example",
        now=NOW,
    )
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert b"\x00" not in head
    assert all(
        line[:1] in (b" ", b"\t") or line.split(b":", 1)[0].decode() in _OURS for line in head.split(b"\r\n")
    )
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed.get_all("To") == [ALIAS]
    decoded = str(parsed["Subject"])
    assert not any(ch in decoded for ch in "\u2028\u2029\r\n\x00\x85")
    assert "In-Reply-To" not in parsed  # none of these is a single <id>


def test_message_id_references_keep_only_well_formed_ids() -> None:
    mail = build_reply_email(
        sender="support@seller.example",
        to=ALIAS,
        subject="Re: x",
        body="hi",
        in_reply_to="<b@relay.example>",
        references=[
            "<a@relay.example> junk\u2028<bad id@x>",
            "<b@relay.example>",
            "\r\nBcc: <c@evil.example>",
        ],
        message_id_domain="seller.example",
        message_key="k",
        date=NOW,
    )
    assert mail["In-Reply-To"] == "<b@relay.example>"
    assert mail["References"] == "<a@relay.example> <c@evil.example> <b@relay.example>"


def test_the_body_loses_nul_and_surrogates_but_keeps_its_lines() -> None:
    wire = wire_reply(
        _message(body="Line one\x00\r\nLine two\ud800\u2028end"), sender="s@seller.example", now=NOW
    )
    parsed = message_from_bytes(wire, policy=policy.default)
    body = parsed.get_content()
    assert body.replace("\r\n", "\n") == "Line one\nLine two\u2028end\n"


def test_header_text_and_reply_subject() -> None:
    assert header_text(" a\u2028b\r\nc\x00d  ") == "a b c d"
    assert reply_subject("RE: Aw: Where\u2029is it?") == "Re: Where is it?"
    assert reply_subject("\u2028") == "Re: your message"


@pytest.mark.parametrize(
    ("to", "marketplace_id"),
    [
        ("attacker@evil.example", "ATVPDKIKX0DER"),
        ("k3xq9wz7m2bd5tf@marketplace.amazon.de", "ATVPDKIKX0DER"),  # another marketplace's alias
        ("k3xq9wz7m2bd5tf@marketplace.amazon.com\r\nBcc: attacker@evil.example", "ATVPDKIKX0DER"),
        (None, "ATVPDKIKX0DER"),
    ],
)
def test_a_recipient_that_is_no_relay_alias_of_the_marketplace_fails_for_good(
    to: str | None, marketplace_id: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        checked_recipient(_message(buyer_alias=to, marketplace_id=marketplace_id))
    assert caught.value.code == "not_relay_alias"
    with pytest.raises(PermanentError):
        wire_reply(
            _message(buyer_alias=to, marketplace_id=marketplace_id), sender="s@seller.example", now=NOW
        )


def test_a_relay_alias_recipient_passes() -> None:
    assert checked_recipient(_message(buyer_alias="K3XQ9WZ7M2BD5TF@marketplace.amazon.com")) == ALIAS
