"""Fuzz the MIME reader, the relay-mail parser, the HTML renderer and the buyer-text cutter from real mails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.parse import buyer_text, relay_fields
from services.ingest.parse.buyer_text import extract_buyer_text
from services.ingest.parse.html_text import html_to_text
from services.ingest.parse.mime import decode_bytes, read_mail
from services.ingest.parse.relay import parse_relay_email
from services.ingest.parse.relay_fields import find_item, find_return_reason
from shared.errors import ValidationError
from tests.ingest.parse.fuzz_support import (
    FUZZ,
    bytes_mutant,
    check_event,
    fixture_bytes,
    nasty_text,
    run_parser,
    sub_bytes,
)
from tests.ingest.parse.support import RECEIVED_AT

_HEADERS = [
    "Date", "Subject", "From", "Reply-To", "Sender", "To", "Cc", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "X-Marketplace-ID",
    "X-Space-Notification-Type", "Content-Language", "Delivered-To",
]  # fmt: skip
_HEADER_VALUES = [
    "Fri, 31 Dec 9999 23:59:59 -0100",
    "Mon, 1 Jan 0001 00:00:00 +0100",
    "Thu, 99 Foo 2024 99:99:99 +9999",
    "=?utf-8?b?!!!notbase64?=",
    "=?x-unknown?q?caf=E9?=",
    "=?undefined?q?a?=",
    "=?utf-16?b?2D0=?=",
    "multipart/mixed; boundary=",
    'multipart/alternative; boundary="="',
    "multipart/mixed",
    "text/plain; charset=undefined",
    "text/plain; charset=idna",
    "text/plain; charset=utf-16",
    "text/html; charset=unicode_escape",
    "text/plain; charset*=utf-8''%FF%FE",
    "message/rfc822",
    "attachment; filename*=x-unknown''%ff",
    'attachment; filename="=?utf-8?q?a=00b?="',
    "base64",
    "quoted-printable",
    "x-uuencode",
    "<@>",
    '"a" <a@marketplace.amazon.com>, <<<>>>, "unterminated',
    "buyer+@marketplace.amazon.de",
    "a\r\n\tfolded\r\n continuation",
    "\r\n \r\n ",
]
_CHARSETS = [
    b"undefined",
    b"idna",
    b"utf-16",
    b"utf-32",
    b"unicode_escape",
    b"x-bad",
    b"rot13",
    b"hex",
    b"cp65001",
]
_ENCODINGS = [b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"binary", b"7bit", b"bogus"]


@pytest.fixture(scope="module")
def mails() -> list[bytes]:
    """The fixture mails plus a nested and a multipart one built from them."""
    found = fixture_bytes("mail", ".eml")
    nested = b"Content-Type: message/rfc822\r\n\r\n" + found[0]
    found.append(b"From: a@b.example\r\nTo: inbox@seller.example\r\n" + nested)
    return found


def _parse(raw: bytes) -> None:
    run_parser("mime", lambda: read_mail(raw))
    event = run_parser(
        "relay mail",
        lambda: parse_relay_email(
            raw,
            seller_for_recipient=lambda _address: None,
            default_seller_id="SELLERFUZZ",
            received_at=RECEIVED_AT,
            correlation_id="fuzz",
            ses_message_id="fuzz-ses-id",
        ),
    )
    if event is not None:
        check_event(event)


def _nested(raw: bytes, depth: int, *, rfc822: bool) -> bytes:
    """``raw`` inside ``depth`` levels of multipart/mixed (distinct boundaries) or message/rfc822 parts."""
    if rfc822:
        return b"To: inbox@seller.example\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * depth + raw
    opens = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth)
    )
    closes = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return b"To: inbox@seller.example\r\n" + opens + raw + closes


@st.composite
def mail_mutant(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed mail with header, charset, boundary and transfer-encoding tricks, then byte mangling."""
    raw = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["header", "charset", "boundary", "encoding", "nest", "bytes"]))
        if op == "header":
            name = draw(st.sampled_from(_HEADERS))
            value = draw(st.one_of(st.sampled_from(_HEADER_VALUES), nasty_text()))
            line = f"{name}: {value}\r\n".encode("utf-8", "surrogatepass")
            raw = (
                line + raw
                if draw(st.booleans())
                else sub_bytes(rb"(?im)^" + name.encode() + rb":[^\n]*", line, raw)
            )
        elif op == "charset":
            raw = sub_bytes(rb'charset="?[\w-]+"?', b"charset=" + draw(st.sampled_from(_CHARSETS)), raw)
        elif op == "boundary":
            raw = sub_bytes(
                rb'boundary="?[^"\r\n;]+"?', b'boundary="' + draw(st.binary(max_size=8)) + b'"', raw
            )
        elif op == "encoding":
            raw = sub_bytes(
                rb"(?i)Content-Transfer-Encoding:[^\r\n]*",
                b"Content-Transfer-Encoding: " + draw(st.sampled_from(_ENCODINGS)),
                raw,
            )
        elif op == "nest":
            raw = _nested(raw, draw(st.sampled_from([1, 2, 30, 300])), rfc822=draw(st.booleans()))
        else:
            raw = draw(bytes_mutant([raw]))
    return raw


@FUZZ
@given(data=st.data())
def test_mutated_mails_give_events_or_classified_errors(mails: list[bytes], data: st.DataObject) -> None:
    _parse(data.draw(mail_mutant(mails)))


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=3000), st.text(max_size=3000).map(lambda text: text.encode("utf-8", "replace"))
    )
)
def test_arbitrary_bytes_give_events_or_classified_errors(raw: bytes) -> None:
    _parse(raw)


@FUZZ
@given(text=st.one_of(nasty_text(3000), st.text(max_size=3000)))
def test_html_and_buyer_text_take_any_text(text: str) -> None:
    rendered = run_parser("html_text", lambda: html_to_text(text))
    if rendered is not None:
        run_parser("buyer_text", lambda: extract_buyer_text(rendered.text))
    run_parser("buyer_text", lambda: extract_buyer_text(text))


@FUZZ
@given(
    data=st.binary(max_size=200),
    charset=st.one_of(st.none(), st.sampled_from([c.decode() for c in _CHARSETS]), st.text(max_size=12)),
)
def test_body_decoding_takes_any_declared_charset(data: bytes, charset: str | None) -> None:
    run_parser("decode_bytes", lambda: decode_bytes(data, charset))


@pytest.mark.parametrize("charset", ["undefined", "idna", "hex", "rot13"])
def test_a_charset_whose_codec_always_fails_falls_back_to_utf8(charset: str) -> None:
    # Regression: "undefined" and "idna" raise a bare UnicodeError, which escaped as a crash.
    assert decode_bytes("Grüße".encode(), charset) == "Grüße"


def test_a_date_that_leaves_the_datetime_range_in_utc_is_ignored() -> None:
    # Regression: 9999-12-31 23:59:59 -0100 is past datetime.max in UTC; astimezone raised OverflowError.
    mail = read_mail(b"Date: Fri, 31 Dec 9999 23:59:59 -0100\r\nTo: inbox@seller.example\r\n\r\nhello\r\n")
    assert mail.date is None
    assert mail.plain.strip() == "hello"


@pytest.mark.parametrize("rfc822", [True, False])
def test_a_mail_nested_too_deeply_is_a_validation_error(mails: list[bytes], rfc822: bool) -> None:
    # Regression: the stdlib parser recursed once per level and raised RecursionError.
    with pytest.raises(ValidationError, match="too deeply"):
        read_mail(_nested(mails[0], 1200, rfc822=rfc822))


def test_line_patterns_start_on_their_own_line() -> None:
    # Regression: a leading \s* let every line start rescan all the blank lines after it, so a mail body of
    # 20 000 empty lines took ~30 s in find_return_reason and find_item (quadratic); a match now starts on
    # the line it belongs to.
    blank = "\n" * 5
    reason = relay_fields._REASON.search(blank + "Reason: Too small")
    item = relay_fields._ITEM_LINE.search(blank + "1 / Trail Shoes [ASIN: B0TESTAB12]")
    assert reason is not None
    assert reason.start() == 5
    assert reason["reason"] == "Too small"
    assert item is not None
    assert item.start() == 5
    assert item["asin"] == "B0TESTAB12"
    # Same for the template item line: the search no longer starts inside a run of spaces.
    template = buyer_text._ITEM_LINE.search(" " * 7 + "ASIN: B0TESTAB12")
    assert template is not None
    assert template.start() == 7


def test_long_runs_of_blank_lines_and_spaces_parse() -> None:
    body = "\n" * 100_000 + "1 / Shoes [ASIN: B0TESTAB12]\nReason: " + " " * 100_000 + "x\n"
    assert find_item(body).asin == "B0TESTAB12"
    assert find_return_reason(body) == "x"
    assert extract_buyer_text(body).text.endswith("x")
