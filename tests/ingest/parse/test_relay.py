"""Relay mails and Amazon notices (fixtures written for these tests) to ComplaintSignalReceived."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.parse.relay import parse_relay_email
from shared.errors import ValidationError
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for
from tests.ingest.parse.support import FIXTURES, RECEIVED_AT

MAIL = FIXTURES / "mail"

EXPECTED: dict[str, dict[str, Any]] = {
    "en_current_plain.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "112-3456789-0123456",
        "marketplace_id": "ATVPDKIKX0DER",
        "language_hint": "en",
        "region": "na",
        "buyer_alias": "k3xq9wz7m2bd5tf@marketplace.amazon.com",
        "buyer_name": "Jane R.",
        "case_id": "CASEEN0001",
        "asin": "B0TESTAB12",
        "sku": "TRS-09-BLK",
        "item_title": "Trail Running Shoes, Size 9",
        "quantity": 1,
        "notice_type": "BBC_MESSAGE_SENT_TO_MERCHANT",
        "text": "Hi, the tracking page says the parcel was delivered on Monday\n"
        "but there is nothing at my door or with my neighbours.\n\nCould you check with the carrier please?",
    },
    "de_current_multipart_qp.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "302-1234567-7654321",
        "language_hint": "de",
        "buyer_alias": "p7w2kq9d8xzr1mb+3f9a2c1e-77aa-4e1b-9c0d-5b6a7c8d9e0f@marketplace.amazon.de",
        "buyer_name": "Jürgen M.",
        "case_id": "3f9a2c1e-77aa-4e1b-9c0d-5b6a7c8d9e0f",
        "sku": "MIX-1200-SS",
        "in_reply_to": "<seller-reply-0001@kuechenwelt.example>",
        "text": "Guten Tag,\nder Mixer läuft nach zwei Tagen nicht mehr. Der Motor brummt nur noch,\n"
        "die Messer drehen sich nicht. Bitte um Austausch oder Erstattung.\n\nGrüße",
    },
    "fr_legacy_html_base64.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "403-2345678-3456789",
        "marketplace_id": "A13V1IB3VIYZZH",
        "language_hint": "fr",
        "case_id": "A1B2C3D4E5F6G",
        "asin": "B0TESTFR01",
        "item_title": "Bouilloire électrique 1,7 L, inox",
        "text": "Bonjour,\nla bouilloire fuit par le fond depuis le premier jour, il y a de l'eau partout "
        "sur le plan de travail.\nQue proposez-vous ?",
    },
    "fr_reply_html_blockquote.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "403-2345678-3456789",
        "text": "D'accord pour le remboursement, merci.\nJe renvoie la bouilloire demain.",
    },
    "it_reply_quoted_original.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "404-3456789-4567890",
        "language_hint": "it",
        "asin": "B0TESTIT01",
        "text": "Grazie della risposta. Preferisco il rimborso invece della sostituzione,\n"
        "la lampada mi serviva per questa settimana.",
    },
    "es_attachments_mixed.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "405-4567890-5678901",
        "language_hint": "es",
        "attachments": ("caja_aplastada.jpg", "factura nº 12.pdf"),
        "case_id": "CASEES0005",
        "text": "Hola, la caja llegó aplastada y el jarrón está roto en tres trozos.\n"
        "Adjunto fotos de la caja y del jarrón.",
    },
    "es_mx_no_open_marker.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "marketplace_id": "A1AM78C64UM0Y8",
        "language_hint": "es",
        "notice_type": None,
        "text": "¿El taladro incluye la batería y el cargador? En la foto no se ve.",
    },
    "ja_iso2022jp_plain.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "503-1234567-1234567",
        "marketplace_id": "A1VC38T7YXB528",
        "language_hint": "ja",
        "region": "fe",
        "case_id": "76c079d3",
        "buyer_alias": "h2j4k6l8z0x1c3v+76c079d3@marketplace.amazon.co.jp",
        "text": "注文した商品がまだ届いていません。\n"
        "お届け予定日から一週間過ぎています。確認をお願いします。",
    },
    "ja_shiftjis_html_pre.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "503-7654321-7654321",
        "asin": "B0TESTJP02",
        "text": "マグカップが二つとも割れていました①。\n"
        "箱の中で緩衝材が入っていませんでした。交換をお願いします。",
    },
    "en_legacy_reply_trap.eml": {
        "kind": SignalKind.BUYER_MESSAGE,
        "order_id": "111-2223334-4445556",
        "case_id": "AZZTESTTOKEN8",
        "asin": "B0TESTEN08",
        "text": "Yes please, swap it for the next size up. I will send the robe back this week.",
    },
    "it_atoz_claim_notice.eml": {
        "kind": SignalKind.A_TO_Z_CLAIM,
        "a_to_z_claim": True,
        "order_id": "402-1111222-3334445",
        "marketplace_id": "APJ6JRA9NG5V4",
        "buyer_alias": None,
        "reply_to": None,
        "notice_type": "A_Z_CLAIM_RESPONDENT_NOTIFY",
    },
    "en_return_request_notice.eml": {
        "kind": SignalKind.RETURN_REQUEST,
        "order_id": "114-5556667-7778889",
        "asin": "B0TESTAB13",
        "sku": "TRS-10-BLK",
        "return_reason_code": "Item defective or doesn't work",
        "return_reason": "defective",
        "buyer_alias": None,
    },
    "de_cancellation_request.eml": {
        "kind": SignalKind.CANCELLATION_REQUEST,
        "order_id": "302-9876543-2109876",
    },
    "en_refund_issued.eml": {"kind": SignalKind.REFUND_ISSUED, "order_id": "113-1112223-3334445"},
    "it_buyer_opted_out.eml": {"kind": SignalKind.BUYER_OPTED_OUT, "language_hint": "it"},
}


def _parse(raw: bytes, **overrides: Any) -> ComplaintSignalReceived:
    options: dict[str, Any] = {
        "seller_for_recipient": lambda _address: None,
        "default_seller_id": "A1TESTSELLER01",
        "received_at": RECEIVED_AT,
        "correlation_id": "corr-mail",
    }
    options.update(overrides)
    return parse_relay_email(raw, **options)


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_fields(fixture: str) -> None:
    event = _parse((MAIL / fixture).read_bytes())
    for field, expected in EXPECTED[fixture].items():
        assert getattr(event, field) == expected, field
    assert event.source is SignalSource.EMAIL
    assert event.dedup_key == f"email:{event.message_id}"
    assert event.event_id == event_id_for(event.dedup_key)


def test_every_fixture_kind_is_covered() -> None:
    kinds = {expected["kind"] for expected in EXPECTED.values()}
    assert kinds >= {
        SignalKind.BUYER_MESSAGE,
        SignalKind.RETURN_REQUEST,
        SignalKind.A_TO_Z_CLAIM,
        SignalKind.CANCELLATION_REQUEST,
        SignalKind.REFUND_ISSUED,
        SignalKind.BUYER_OPTED_OUT,
    }


def test_notice_text_keeps_amazons_words_without_the_footer() -> None:
    event = _parse((MAIL / "it_atoz_claim_notice.eml").read_bytes())
    assert "reclamo dalla A alla Z di 59,90 €" in event.text
    assert "SPC-EUAmazon" not in event.text


def test_reply_to_and_buyer_alias_for_a_buyer_message() -> None:
    raw = (MAIL / "en_current_plain.eml").read_bytes().replace(b"k3xq9wz7m2bd5tf@", b"K3XQ9WZ7M2BD5TF@")
    event = _parse(raw)
    assert event.buyer_alias == "k3xq9wz7m2bd5tf@marketplace.amazon.com"
    assert event.reply_to == "k3xq9wz7m2bd5tf@marketplace.amazon.com"
    assert event.occurred_at == datetime(2024, 6, 4, 14, 2, 9, tzinfo=UTC)


def test_seller_from_envelope_recipient_first_then_headers() -> None:
    sellers = {"inbox@seller-one.example": "SELLER1", "support@trailgear.example": "SELLER2"}
    raw = (MAIL / "en_current_plain.eml").read_bytes()
    event = _parse(raw, seller_for_recipient=sellers.get, default_seller_id=None)
    assert (event.seller_id, event.recipient) == ("SELLER2", "support@trailgear.example")
    event = _parse(
        raw,
        seller_for_recipient=sellers.get,
        default_seller_id=None,
        envelope_recipients=["Inbox@Seller-One.example"],
    )
    assert (event.seller_id, event.recipient) == ("SELLER1", "inbox@seller-one.example")


def test_default_seller_when_no_recipient_is_known() -> None:
    event = _parse((MAIL / "en_current_plain.eml").read_bytes(), default_seller_id="FALLBACK")
    assert (event.seller_id, event.recipient) == ("FALLBACK", "support@trailgear.example")


def test_no_seller_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="no seller"):
        _parse((MAIL / "en_current_plain.eml").read_bytes(), default_seller_id=None)


def test_dedup_key_falls_back_to_ses_id_then_content_digest() -> None:
    raw = b"\r\n".join(
        line
        for line in (MAIL / "en_refund_issued.eml").read_bytes().split(b"\r\n")
        if not line.startswith(b"Message-ID")
    )
    with_ses = _parse(raw, ses_message_id="ses-123")
    assert with_ses.dedup_key == "email:ses:ses-123"
    first, second = _parse(raw), _parse(raw, correlation_id="other", received_at=datetime.now(UTC))
    assert first.dedup_key.startswith("email:sha256:")
    assert first.dedup_key == second.dedup_key
    assert first.event_id == second.event_id


def test_message_id_wins_over_the_ses_id() -> None:
    event = _parse((MAIL / "en_refund_issued.eml").read_bytes(), ses_message_id="ses-123")
    assert event.dedup_key == "email:<0100018f-refund-0012@email.amazonses.com>"


def test_received_at_when_the_mail_has_no_usable_date() -> None:
    raw = (
        (MAIL / "en_refund_issued.eml")
        .read_bytes()
        .replace(b"Date: Thu, 13 Jun 2024 09:00:00 +0000", b"Date: someday")
    )
    assert _parse(raw).occurred_at == RECEIVED_AT


def test_kind_from_sender_and_subject_without_the_type_header() -> None:
    atoz = (MAIL / "it_atoz_claim_notice.eml").read_bytes().replace(b"X-Space-Notification-Type", b"X-Other")
    assert _parse(atoz).kind is SignalKind.A_TO_Z_CLAIM
    refund = (MAIL / "en_refund_issued.eml").read_bytes().replace(b"X-Space-Notification-Type", b"X-Other")
    assert _parse(refund).kind is SignalKind.REFUND_ISSUED
    unknown_type = (MAIL / "en_refund_issued.eml").read_bytes().replace(b"REFUND_ISSUED", b"SOMETHING_NEW")
    event = _parse(unknown_type)
    assert (event.kind, event.notice_type) == (SignalKind.OTHER_NOTICE, "SOMETHING_NEW")


def test_seller_copy_of_its_own_reply_is_not_a_buyer_message() -> None:
    raw = (
        (MAIL / "en_current_plain.eml")
        .read_bytes()
        .replace(b"BBC_MESSAGE_SENT_TO_MERCHANT", b"BBC_MESSAGE_CONFIRMATION_TO_MERCHANT")
    )
    assert _parse(raw).kind is SignalKind.OTHER_NOTICE


def test_unframed_plain_stub_falls_back_to_the_single_pre_block() -> None:
    raw = (
        b"From: Ana - Amazon Marketplace <z1x2c3v4b5n6m7q@marketplace.amazon.es>\r\n"
        b"To: ventas@example.es\r\nSubject: Consulta (Pedido: 405-1000000-2000000)\r\n"
        b"Message-ID: <stub-1@example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nAbra este mensaje en HTML.\r\n"
        b"--b\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"
        b"<p>Recibiste un mensaje.</p><pre>El cable no carga.</pre><p>Resolver caso</p>\r\n--b--\r\n"
    )
    event = _parse(raw)
    assert event.text == "El cable no carga."
    assert (event.marketplace_id, event.language_hint) == ("A1RKKUPIHCS9HS", "es")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("A3NEWMARKET01", "A3NEWMARKET01"), ("X" * 40, None)],
)
def test_unknown_marketplace_header_is_kept_when_it_fits(header: str, expected: str | None) -> None:
    raw = (
        (MAIL / "en_refund_issued.eml")
        .read_bytes()
        .replace(
            b"X-Space-Notification-Type",
            b"X-Marketplace-ID: " + header.encode() + b"\r\nX-Space-Notification-Type",
        )
    )
    event = _parse(raw)
    assert event.marketplace_id == expected
    assert event.region is None
