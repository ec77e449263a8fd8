"""Relayed buyer mail and Amazon's own notices (A-to-z, returns, cancellations) to ComplaintSignalReceived."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime

from services.ingest.parse import marketplaces
from services.ingest.parse.build import build_event
from services.ingest.parse.buyer_text import BuyerText, extract_buyer_text
from services.ingest.parse.mime import MailContent, read_mail
from services.ingest.parse.relay_fields import (
    RelayAddress,
    RelayCheck,
    buyer_name,
    find_case_id,
    find_item,
    find_order_id,
    find_relay,
    find_return_reason,
    notice_kind,
)
from services.ingest.parse.return_reasons import normalize_return_reason
from shared.errors import ValidationError
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for
from shared.relay import reply_target

__all__ = ["RecipientLookup", "email_dedup_key", "parse_relay_email"]

RecipientLookup = Callable[[str], str | None]

_DEDUP_MAX = 500


def email_dedup_key(message_id: str | None, ses_message_id: str | None, raw: bytes) -> str:
    """``email:<Message-ID>``, else ``email:ses:<SES id>``, else a digest of the raw bytes."""
    if message_id and len(message_id) <= _DEDUP_MAX:
        return f"email:{message_id.strip()}"
    if ses_message_id:
        return f"email:ses:{ses_message_id}"
    return f"email:sha256:{hashlib.sha256(raw).hexdigest()}"


def _buyer_text(mail: MailContent) -> BuyerText:
    """Plain part with Amazon's frame first; the single HTML ``<pre>`` block is the locale-free fallback."""
    single_pre = mail.pre_blocks[0] if len(mail.pre_blocks) == 1 and mail.pre_blocks[0].strip() else None
    if mail.plain.strip():
        found = extract_buyer_text(mail.plain)
        if found.framed or single_pre is None:
            return found
    if single_pre is not None:
        return extract_buyer_text(single_pre)
    return extract_buyer_text(mail.html_text)


def _seller(
    mail: MailContent,
    envelope_recipients: Sequence[str],
    seller_for_recipient: RecipientLookup,
    default_seller_id: str | None,
) -> tuple[str, str | None]:
    extra = [mail.header(name) or "" for name in ("X-Original-To", "Envelope-To")]
    candidates = [*envelope_recipients, *(mailbox.addr for mailbox in mail.to), *extra]
    addresses = [address.strip().lower() for address in candidates if "@" in address]
    for address in addresses:
        seller = seller_for_recipient(address)
        if seller:
            return seller, address
    if default_seller_id:
        return default_seller_id, addresses[0] if addresses else None
    raise ValidationError("no seller owns any recipient of this mail and no default seller was given")


def _short(value: str | None, limit: int = 32) -> str | None:
    """A header value that fits its event field; an oversized one is noise, not a reason to reject the mail."""
    return value if value and len(value) <= limit else None


def _buyer_name(check: RelayCheck) -> str | None:
    # Only the buyer's own relay mailbox in From carries their name; notices name the seller or Amazon.
    return buyer_name(check.mailbox) if check.mailbox is not None else None


def _reply_details(check: RelayCheck, reply_to: str | None) -> dict[str, bool]:
    """Why a mail has no reply target or ignored a header, for the human who looks at the ticket."""
    details: dict[str, bool] = {}
    if check.reply_to_ignored:
        details["reply_to_ignored"] = True
    if check.relay is not None and reply_to is None:
        details["relay_marketplace_mismatch"] = True
    return details


def _language(
    mail: MailContent, market: marketplaces.Marketplace | None, relay: RelayAddress | None
) -> str | None:
    if market is not None and market.language:
        return market.language
    for domain in (relay.domain if relay else None, *(box.addr.rpartition("@")[2] for box in mail.from_)):
        found = marketplaces.by_domain(domain)
        # Seller Central mails come from amazon.com whatever the marketplace, so .com says nothing.
        if found is not None and found.language and found.domain_suffix != "com":
            return found.language
    content_language = (mail.header("Content-Language") or "").strip()
    return content_language[:2].lower() or None


def parse_relay_email(
    raw: bytes,
    *,
    seller_for_recipient: RecipientLookup,
    received_at: datetime,
    correlation_id: str,
    default_seller_id: str | None = None,
    envelope_recipients: Sequence[str] = (),
    ses_message_id: str | None = None,
    source: SignalSource = SignalSource.EMAIL,
) -> ComplaintSignalReceived:
    """One relayed buyer message or Amazon notice (RFC 822 bytes) as a ComplaintSignalReceived.

    The seller is ``seller_for_recipient`` of the first recipient it knows (SES envelope recipients first,
    then To/Cc/Delivered-To), else ``default_seller_id``; neither raises ValidationError.
    """
    mail = read_mail(raw)
    seller_id, recipient = _seller(mail, envelope_recipients, seller_for_recipient, default_seller_id)
    check = find_relay(mail.from_, mail.reply_to)
    relay = check.relay
    notice_type = mail.header("X-Space-Notification-Type")
    sender = mail.from_[0].addr if mail.from_ else None
    kind = notice_kind(notice_type, sender, relay is not None, mail.subject)
    header_market = mail.header("X-Marketplace-ID")
    market = marketplaces.by_id(header_market) or marketplaces.by_domain(relay.domain if relay else None)
    whole_text = "\n".join(part for part in (mail.plain, mail.html_text) if part)
    item = find_item(whole_text)
    reason = find_return_reason(whole_text) if kind is SignalKind.RETURN_REQUEST else None
    # The reply target is the From relay alias of this mail's marketplace, never what Reply-To says.
    reply_to = (
        reply_target(relay.address, marketplace_id=market.marketplace_id if market else None)
        if relay
        else None
    )
    dedup_key = email_dedup_key(mail.message_id, ses_message_id, raw)
    return build_event(
        ComplaintSignalReceived,
        event_id=event_id_for(dedup_key),
        dedup_key=dedup_key,
        occurred_at=mail.date or received_at,
        seller_id=seller_id,
        marketplace_id=market.marketplace_id if market else _short(header_market),
        region=market.region if market else None,
        order_id=find_order_id(mail.subject, mail.plain, mail.html_text),
        correlation_id=correlation_id,
        source=source,
        kind=kind,
        text=_buyer_text(mail).text,
        subject=mail.subject,
        language_hint=_language(mail, market, relay),
        buyer_alias=relay.address if relay else None,
        buyer_name=_buyer_name(check),
        reply_to=reply_to,
        recipient=recipient,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        case_id=find_case_id(relay, whole_text),
        notice_type=notice_type,
        asin=item.asin,
        sku=item.sku,
        item_title=item.title,
        quantity=item.quantity,
        return_reason_code=reason,
        return_reason=normalize_return_reason(reason).value if reason else None,
        a_to_z_claim=kind is SignalKind.A_TO_Z_CLAIM,
        attachments=mail.attachments,
        details=_reply_details(check, reply_to),
    )
