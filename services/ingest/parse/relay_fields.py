"""Field extractors for Amazon relay mail: relay alias, notice kind, order, item and case references."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from services.ingest.parse.mime import Address
from shared.events import SignalKind
from shared.relay import RelayAlias, is_system_sender, parse_relay_alias

__all__ = [
    "ItemRef",
    "RelayAddress",
    "RelayCheck",
    "buyer_name",
    "find_case_id",
    "find_item",
    "find_order_id",
    "find_relay",
    "find_return_reason",
    "is_no_reply",
    "notice_kind",
]

ORDER_ID = re.compile(r"(?<![\d-])\d{3}-\d{7}-\d{7}(?![\d-])")
_DISPLAY_SUFFIX = re.compile(r"\s*-\s*Amazon(?:\s+Marketplace)?\s*$", re.IGNORECASE)
# Line-anchored patterns start with [^\S\n]*, not \s*: \s* let every line start scan all following blank
# lines again, so a body of many empty lines took quadratic time.
_ITEM_LINE = re.compile(
    r"^[^\S\n]*(?P<qty>\d{1,4})\s*(?:[^\w\s]|[^\W\d]{1,8}(?:/[^\W\d]{1,8})?)\s+(?P<rest>.+?)\s*"
    r"\[\s*ASIN\s*[:：]\s*(?P<asin>[A-Z0-9]{10})\s*\]",
    re.MULTILINE,
)
_ASIN = re.compile(r"\bASIN\s*[:：]?\s*(?P<asin>[A-Z0-9]{10})\b")
_SKU = re.compile(r"\bSKU\b[^:：\n]{0,24}[:：]\s*(?P<sku>[^\s|\]]+)", re.IGNORECASE)
_CASE_LINK = re.compile(r"no-response-needed[^\s\"'<>]*?[?&]c=(?P<case>[A-Za-z0-9]+)")
_COMM_TOKEN = re.compile(r"\[commMgrTok:(?P<case>[A-Za-z0-9]+)\]")
_REASON = re.compile(
    r"^[^\S\n]*(?:return reason|reason for return|reason|motivo del reso|motivo della restituzione|motivo|"
    r"rücksendegrund|grund der rücksendung|grund|raison du retour|motif du retour|motif|"
    r"motivo de la devolución|返品理由|理由)\s*[:：]\s*(?P<reason>\S.{0,200}?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_NOTICE_TYPES = {
    "BBC_MESSAGE_SENT_TO_MERCHANT": SignalKind.BUYER_MESSAGE,
    "BUYER_MESSAGE": SignalKind.BUYER_MESSAGE,
    "RETURN_REQUEST": SignalKind.RETURN_REQUEST,
    "BRC_SELLER_NOTIFICATION": SignalKind.CANCELLATION_REQUEST,
    "REFUND_ISSUED": SignalKind.REFUND_ISSUED,
    "BUYER_OPTED_OUT_BSM_MESSAGES": SignalKind.BUYER_OPTED_OUT,
}
# Subject keywords, used only when neither the type header nor the sender decides (mail NOTES §1.3).
_SUBJECT_KINDS = (
    (
        SignalKind.A_TO_Z_CLAIM,
        r"a[- ]?to[- ]?z|a[- ]bis[- ]z|\ba à z\b|de la a a la z|dalla a alla z|aからz|a-z保証",
    ),
    (
        SignalKind.RETURN_REQUEST,
        r"return (?:request|authori[sz]ation)|autorizzazione del reso|richiesta di reso|"
        r"rücksende(?:anfrage|genehmigung)|(?:demande|autorisation) de retour|"
        r"(?:solicitud|autorización) de devolución|返品リクエスト",
    ),
    (
        SignalKind.CANCELLATION_REQUEST,
        r"cancell?ation request|richiesta di annullamento|stornierungsanfrage|demande d'annulation|"
        r"solicitud de cancelación|キャンセルリクエスト",
    ),
    (
        SignalKind.REFUND_ISSUED,
        r"refund initiated|rimborso .*avviato|erstattung .*(?:veranlasst|eingeleitet)|remboursement .*initié|"
        r"reembolso .*iniciado",
    ),
    (
        SignalKind.BUYER_MESSAGE,
        r"(?:inquiry|enquiry) from amazon customer|cliente de amazon|client amazon|amazon-kunde|"
        r"cliente amazon|amazon-klant|お問い合わせ",
    ),
)
_SUBJECT_PATTERNS = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _SUBJECT_KINDS)


RelayAddress = RelayAlias
"""A buyer's masked relay address (``shared.relay``): full address, stable buyer part, per-case suffix."""


@dataclass(frozen=True, slots=True)
class RelayCheck:
    """The buyer's relay alias of a mail (From only) and whether a Reply-To pointed elsewhere."""

    mailbox: Address | None
    relay: RelayAlias | None
    reply_to_ignored: bool


@dataclass(frozen=True, slots=True)
class ItemRef:
    """The ordered item Amazon names in the message frame."""

    asin: str | None = None
    sku: str | None = None
    title: str | None = None
    quantity: int | None = None


def is_no_reply(address: str) -> bool:
    """True for Amazon's system senders (donotreply@, no-reply@, atoz-guarantee-no-reply@ ...)."""
    return is_system_sender(address)


def find_relay(from_: tuple[Address, ...], reply_to: Iterable[Address] = ()) -> RelayCheck:
    """The buyer relay alias, taken from a From with exactly one mailbox and nowhere else.

    Amazon relays a buyer's message from the buyer's alias (Reply-To, when present, is the same alias). A
    Reply-To naming anything else is never a reply target, and an alias found only in Reply-To or Sender
    makes no buyer: those headers are whatever the sender wrote, while From is what DMARC authenticated.
    """
    mailbox = from_[0] if len(from_) == 1 else None
    relay = parse_relay_alias(mailbox.addr) if mailbox is not None else None
    ignored = any(relay is None or box.addr != relay.address for box in reply_to)
    return RelayCheck(mailbox if relay is not None else None, relay, ignored)


def buyer_name(mailbox: Address) -> str | None:
    """Display name without Amazon's `` - Amazon Marketplace`` suffix."""
    name = _DISPLAY_SUFFIX.sub("", mailbox.name).strip().strip('"').strip()
    return name or None


def notice_kind(
    notice_type: str | None, sender: str | None, has_relay: bool, subject: str | None
) -> SignalKind:
    """Kind by X-Space-Notification-Type first, then sender, then subject keywords."""
    if notice_type:
        upper = notice_type.strip().upper()
        if upper.startswith("A_Z_CLAIM"):
            return SignalKind.A_TO_Z_CLAIM
        return _NOTICE_TYPES.get(upper, SignalKind.OTHER_NOTICE)
    if sender and sender.startswith("atoz-guarantee"):
        return SignalKind.A_TO_Z_CLAIM
    if has_relay:
        return SignalKind.BUYER_MESSAGE
    for kind, pattern in _SUBJECT_PATTERNS:
        if subject and pattern.search(subject):
            return kind
    return SignalKind.OTHER_NOTICE


def find_order_id(*texts: str | None) -> str | None:
    """The first Amazon order id (3-7-7 digits), searching the texts in order (subject first)."""
    for text in texts:
        match = ORDER_ID.search(text or "")
        if match:
            return match.group(0)
    return None


def find_item(text: str) -> ItemRef:
    """ASIN, SKU, title and quantity from the frame's item line (``1 / title | sku [ASIN: …]``)."""
    line = _ITEM_LINE.search(text)
    if line:
        title, _, sku = line["rest"].rpartition(" | ")
        title, sku = (title, sku) if title else (sku, "")
        labelled = _SKU.search(text)
        return ItemRef(
            asin=line["asin"],
            sku=sku.strip() or (labelled["sku"] if labelled else None),
            title=title.strip() or None,
            quantity=int(line["qty"]),
        )
    asin = _ASIN.search(text)
    sku_match = _SKU.search(text)
    return ItemRef(asin=asin["asin"] if asin else None, sku=sku_match["sku"] if sku_match else None)


def find_case_id(relay: RelayAddress | None, text: str) -> str | None:
    """Case key: the relay ``+suffix``, else the footer's no-response-needed ``c=``, else ``commMgrTok``."""
    if relay is not None and relay.suffix:
        return relay.suffix
    for pattern in (_CASE_LINK, _COMM_TOKEN):
        match = pattern.search(text)
        if match:
            return match["case"]
    return None


def find_return_reason(text: str) -> str | None:
    """The reason line of a return-request notice (``Reason:``, ``Motivo:``, ``Grund:``, ``返品理由:``)."""
    match = _REASON.search(text)
    return match["reason"] if match else None
