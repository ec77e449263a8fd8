"""Relay e-mails in the current Amazon buyer-seller messaging layout (see ../shared/mail/NOTES.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

__all__ = ["FRAMES", "RelayMail", "relay_email"]


@dataclass(frozen=True, slots=True)
class _Frame:
    domain: str
    marketplace_id: str
    received: str
    open_marker: str
    close_marker: str
    subject: str  # with {name} and {order}


FRAMES: dict[str, _Frame] = {
    "en": _Frame(
        "marketplace.amazon.com",
        "ATVPDKIKX0DER",
        "You have received a message.",
        "------------- Message: -------------",
        "------------- End message -------------",
        "Order delivery inquiry from Amazon customer {name} (Order: {order})",
    ),
    "de": _Frame(
        "marketplace.amazon.de",
        "A1PA6795UKMFR9",
        "Sie haben eine Nachricht erhalten.",
        "------------- Nachricht: -------------",
        "------------- Ende der Nachricht -------------",
        "Anfrage zur Lieferung von Amazon-Kunde {name} (Bestellung: {order})",
    ),
    "ja": _Frame(
        "marketplace.amazon.co.jp",
        "A1VC38T7YXB528",
        "メッセージが届きました。",
        "------------- メッセージ: -------------",
        "------------- メッセージの終わり -------------",
        "Amazonのお客様 {name} からの配送に関するお問い合わせ (注文: {order})",
    ),
    "fr": _Frame(
        "marketplace.amazon.fr",
        "A13V1IB3VIYZZH",
        "Vous avez reçu un message.",
        "------------- Message : -------------",
        "------------- Fin du message -------------",
        "Demande de renseignements de la part du client Amazon {name} (Commande : {order})",
    ),
    "es": _Frame(
        "marketplace.amazon.es",
        "A1RKKUPIHCS9HS",
        "Recibiste un mensaje.",
        "------------- Mensaje: -------------",
        "------------- Finalizar mensaje -------------",
        "Consulta sobre la entrega del cliente de Amazon {name} (Pedido: {order})",
    ),
    "it": _Frame(
        "marketplace.amazon.it",
        "APJ6JRA9NG5V4",
        "Hai ricevuto un messaggio.",
        "------------- Messaggio: -------------",
        "------------- Fine messaggio -------------",
        "Richiesta di consegna dal cliente Amazon {name} (Ordine: {order})",
    ),
}


@dataclass(frozen=True, slots=True)
class RelayMail:
    """One buyer message as relayed by Amazon."""

    language: str
    alias: str
    buyer_name: str
    order_id: str
    text: str
    message_id: str
    sent_at: datetime
    seller_address: str = "support@seller.example"
    asin: str | None = "B0EXAMPLE1"
    item: str = "Wireless earbuds, black"


def relay_email(mail: RelayMail) -> bytes:
    """The RFC 822 bytes Amazon's relay would deliver for this message."""
    frame = FRAMES[mail.language]
    msg = EmailMessage()
    msg["From"] = f'"{mail.buyer_name} - Amazon Marketplace" <{mail.alias}@{frame.domain}>'
    msg["Reply-To"] = f"{mail.alias}@{frame.domain}"
    msg["To"] = mail.seller_address
    msg["Subject"] = frame.subject.format(name=mail.buyer_name, order=mail.order_id)
    msg["Date"] = format_datetime(mail.sent_at)
    msg["Message-ID"] = mail.message_id
    msg["X-Marketplace-ID"] = frame.marketplace_id
    msg["X-Space-Notification-Type"] = "BBC_MESSAGE_SENT_TO_MERCHANT"
    item_line = f"1 / {mail.item} [ASIN: {mail.asin}]" if mail.asin else ""
    body = "\n".join(
        [
            frame.received,
            "",
            f"# {mail.order_id}:",
            item_line,
            "",
            frame.open_marker,
            "",
            mail.text,
            "",
            frame.close_marker,
            "",
            f"https://sellercentral.{frame.domain.removeprefix('marketplace.')}/messaging/no-response-needed"
            f"?m={mail.alias.upper()}&mp={frame.marketplace_id}&s=1",
            "",
            "--------------------------",
            "",
            "Copyright 2026 Amazon, Inc. or its affiliates. All rights reserved.",
            "SPC-EUAmazon-1935142136523339",
        ]
    )
    msg.set_content(body, charset="utf-8")
    return msg.as_bytes()
