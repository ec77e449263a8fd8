"""MIME decoding: charsets, transfer encodings, RFC 2047 subjects, attachments, HTML-only bodies."""

from __future__ import annotations

import pytest

from services.ingest.parse.mime import MAX_HEADER_CHARS, MAX_PARTS, decode_bytes, read_mail
from shared.errors import ValidationError
from tests.ingest.parse.support import FIXTURES

MAIL = FIXTURES / "mail"


@pytest.mark.parametrize(
    ("fixture", "subject"),
    [
        ("ja_iso2022jp_plain.eml", "配送に関するお問い合わせ (注文: 503-1234567-1234567)"),
        ("ja_shiftjis_html_pre.eml", "商品に関するお問い合わせ (注文: 503-7654321-7654321)"),
        (
            "de_current_multipart_qp.eml",
            "Anfrage zu Produktdetails von Amazon-Kunde Jürgen M. (Bestellung: 302-1234567-7654321)",
        ),
        ("it_buyer_opted_out.eml", "Il tuo messaggio all'acquirente non è stato consegnato."),
    ],
)
def test_encoded_subjects(fixture: str, subject: str) -> None:
    assert read_mail((MAIL / fixture).read_bytes()).subject == subject


def test_iso_2022_jp_body() -> None:
    mail = read_mail((MAIL / "ja_iso2022jp_plain.eml").read_bytes())
    assert "注文した商品がまだ届いていません。" in mail.plain
    assert mail.from_[0].name == "山田 - Amazon Marketplace"


def test_shift_jis_html_with_a_cp932_character() -> None:
    mail = read_mail((MAIL / "ja_shiftjis_html_pre.eml").read_bytes())
    assert mail.plain == ""
    assert len(mail.pre_blocks) == 1
    assert mail.pre_blocks[0].startswith("マグカップが二つとも割れていました①。")
    assert "メッセージを受信しました。" in mail.html_text


def test_quoted_printable_latin1_plain_and_html_alternative() -> None:
    mail = read_mail((MAIL / "de_current_multipart_qp.eml").read_bytes())
    assert "der Mixer läuft nach zwei Tagen nicht mehr" in mail.plain
    assert "Grüße" in mail.pre_blocks[0]
    assert mail.references[-1] == "<seller-reply-0001@kuechenwelt.example>"
    assert len(mail.references) == 2


def test_base64_html_only_legacy_mail() -> None:
    mail = read_mail((MAIL / "fr_legacy_html_base64.eml").read_bytes())
    assert mail.plain == ""
    assert "------------- Début du message -------------" in mail.html_text.split("\n")


def test_attachments_are_named_and_not_body() -> None:
    mail = read_mail((MAIL / "es_attachments_mixed.eml").read_bytes())
    assert mail.attachments == ("caja_aplastada.jpg", "factura nº 12.pdf")
    assert "%PDF" not in mail.plain


def test_forwarded_message_and_unnamed_parts_are_attachments() -> None:
    raw = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n"
        b"--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        b"--b1--\r\n"
    )
    mail = read_mail(raw)
    assert mail.plain.strip() == "See below."
    assert mail.attachments == ("attachment-1.eml", "attachment-2.png")


def test_date_without_zone_is_not_trusted() -> None:
    raw = b"From: a@example.com\r\nDate: Mon, 03 Jun 2024 10:00:00 -0000\r\n\r\nbody\r\n"
    assert read_mail(raw).date is None


def test_broken_headers_do_not_raise() -> None:
    raw = b"From: <<<@@@>>>\r\nTo: \r\nSubject: =?unknown-charset?Q?abc?=\r\nMessage-ID:\r\n\r\nbody\r\n"
    mail = read_mail(raw)
    assert mail.from_ == ()
    assert mail.message_id is None
    assert mail.plain.strip() == "body"


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("①～".encode("cp932"), "Shift_JIS", "①～"),
        ("caf\u00e9 \u20ac".encode("cp1252"), "iso-8859-1", "café €"),
        (b"plain", "x-unknown-charset", "plain"),
        (b"\xff\xfe broken", "utf-8", "\ufffd\ufffd broken"),
    ],
)
def test_decode_bytes_uses_supersets_and_falls_back(data: bytes, charset: str, expected: str) -> None:
    assert decode_bytes(data, charset) == expected


def test_oversized_header_values_are_cut_before_the_stdlib_parses_them() -> None:
    # The stdlib's structured-header parser is quadratic: a 1 MB Content-Type or From held a worker for
    # minutes (found by the fuzzer). Cut to MAX_HEADER_CHARS, the mail reads and the values stay bounded.
    junk = "x" * (50 * MAX_HEADER_CHARS)
    raw = (
        f"From: {junk}@example.com\r\nSubject: {junk}\r\nContent-Type: text/plain; x={junk}\r\n\r\nhello\r\n"
    ).encode()
    mail = read_mail(raw)
    assert mail.subject is not None
    assert len(mail.subject) <= MAX_HEADER_CHARS
    assert all(len(value) <= MAX_HEADER_CHARS + 2 for value in mail.headers.values())  # + quotes
    assert mail.plain.strip() == "hello"


def test_a_mail_with_too_many_parts_is_a_validation_error() -> None:
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(MAX_PARTS + 1))
    raw = f"Content-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n".encode()
    with pytest.raises(ValidationError, match="MIME parts"):
        read_mail(raw)


@pytest.mark.parametrize("value", [b"(" * 3000 + b"x", b"(a" * 2000])
def test_deeply_nested_header_comments_are_unreadable_not_a_crash(value: bytes) -> None:
    # The stdlib's structured-header parser recurses once per nested comment: a From of nested "(" inside
    # the 4 KB cap raised RecursionError out of read_mail (found by the MIME fuzzer).
    mail = read_mail(b"From: " + value + b"\r\nSubject: hi\r\n\r\nbody")
    assert mail.from_ == ()
    assert mail.subject == "hi"
