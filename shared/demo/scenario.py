"""The demo scenario of `make run`: a dozen complaints in six languages plus order notifications."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import FRAMES, RelayMail, relay_email

__all__ = ["DEMO_SELLER", "DemoInput", "demo_inputs"]

DEMO_SELLER = "A2DEMOSELLER01"

# (language, buyer name, what the buyer wrote)
_COMPLAINTS: tuple[tuple[str, str, str], ...] = (
    (
        "en",
        "Jane",
        "Hi, my package never arrived. It has been over a week since the delivery date. Can you help?",
    ),
    ("en", "Mark", "Tracking says delivered yesterday but there was nothing at my door or in the mailroom."),
    ("en", "Priya", "The blender arrived with a cracked jar and it does not turn on at all."),
    ("en", "Tom", "I ordered the blue one and received a red case. Not what I ordered."),
    ("de", "Lukas", "Hallo, mein Paket ist immer noch nicht angekommen. Wo bleibt meine Bestellung?"),
    ("de", "Anna", "Das Gerät funktioniert seit gestern nicht mehr, es lässt sich nicht einschalten."),
    ("de", "Jonas", "Ich habe Größe M bestellt, geliefert wurde aber XL. Bitte um Klärung."),
    ("ja", "佐藤", "注文した商品がまだ届いていません。配達予定日を過ぎています。確認していただけますか。"),
    ("ja", "鈴木", "届いた商品が壊れていて、電源が入りません。"),
    ("ja", "田中", "商品はいつ発送されますか？"),
    ("fr", "Camille", "Bonjour, le colis n'est jamais arrivé alors que le suivi indique livré."),
    ("es", "Lucía", "El producto llegó roto, la pantalla está rajada."),
    ("it", "Giulia", "Ho ricevuto un articolo diverso da quello nella foto dell'inserzione."),
)


@dataclass(frozen=True, slots=True)
class DemoInput:
    """One SQS body for one of the demo queues."""

    queue: str  # "spapi" or "ses"
    body: str
    order_id: str
    language: str | None = None


def _order_id(i: int) -> str:
    return f"{111 + i:03d}-{4000000 + i:07d}-{7000000 + i:07d}"


def _alias(name: str, i: int) -> str:
    return hashlib.sha1(f"{name}-{i}".encode(), usedforsecurity=False).hexdigest()[:15]


def demo_inputs(*, now: datetime, seller_id: str = DEMO_SELLER, seller_address: str) -> list[DemoInput]:
    """Order notifications first (context), then the buyers' e-mails through SES, SNS and SQS."""
    out: list[DemoInput] = []
    for i, (lang, _name, _text) in enumerate(_COMPLAINTS):
        order = _order_id(i)
        frame = FRAMES[lang]
        out.append(
            DemoInput(
                queue="spapi",
                order_id=order,
                body=order_change_notification(
                    seller_id=seller_id,
                    order_id=order,
                    marketplace_id=frame.marketplace_id,
                    status="Shipped",
                    event_time=now - timedelta(days=9),
                    latest_delivery=now - timedelta(days=2),
                ),
            )
        )
    for i, (lang, name, text) in enumerate(_COMPLAINTS):
        mail = RelayMail(
            language=lang,
            alias=_alias(name, i),
            buyer_name=name,
            order_id=_order_id(i),
            text=text,
            message_id=f"<demo-{i}-{_alias(name, i)}@relay.amazon.example>",
            sent_at=now - timedelta(minutes=len(_COMPLAINTS) - i),
            seller_address=seller_address,
        )
        body = ses_received_notification(
            relay_email(mail), recipient=seller_address, received_at=mail.sent_at, base64_content=i % 2 == 0
        )
        out.append(DemoInput(queue="ses", body=body, order_id=mail.order_id, language=lang))
    return out
