"""Compliance linter for replies to buyers ("policy as code"): pure functions, no I/O.

``lint(text, channel=..., locale=..., order_id=..., subject=...)`` checks a draft against Amazon's messaging
rules (Messaging API model text, communication guidelines, Solicitations best practice) for one channel:
``email`` (a reply on a buyer-initiated thread through the relay) or ``messaging:<action>``. Pattern rules
match on an NFKC-normalised copy (full-width digits and letters, zero-width characters removed) and report
spans in the original text. Rule ids are stable; change a rule's meaning, give it a new id.

Channel:
- ``channel.unknown``: not ``email`` and not a known Messaging API action (fail closed).
- ``channel.text_not_allowed``: the action takes attachments only (warranty, legalDisclosure, invoice).
Text:
- ``text.empty``: empty or whitespace-only text (reported alone).
- ``text.length``: over the channel limit: 2000 for unexpectedProblem, confirmDeliveryDetails,
  confirmOrderDetails and confirmServiceDetails; 800 confirmCustomizationDetails; 400 digitalAccessKey
  (all from the Messaging API model); 4000 for e-mail (our choice: Amazon publishes none).
- ``text.language``: the guesser is confident the text is in another language than the buyer's locale.
Links and contact:
- ``link.url``: a link the channel's purpose does not allow: scheme URLs, ``www.`` hosts, bare domains with
  common TLDs, "example dot com" forms. Allowed: Amazon order, returns and help pages on every channel;
  carrier tracking pages on ``email``, ``unexpectedProblem`` and ``confirmDeliveryDetails``.
- ``contact.email``: e-mail addresses, incl. "name [at] domain [dot] com".
- ``contact.phone``: phone numbers (international, national with leading zero, North American, JP
  0X0-XXXX-XXXX, full-width digits, unbroken CN/JP mobiles); order ids, dates, times, prices and numbers
  after a tracking keyword are not phone numbers.
- ``contact.off_amazon``: invitations to talk outside Amazon (WhatsApp, WeChat, LINE, Telegram, social
  media, "call us", "our website", ...).
Format:
- ``format.html``: HTML tags, comments or entities.
- ``format.emoji``: emoji and pictographs, ASCII emoticons and kaomoji.
- ``format.gif``: GIF files or animations.
Content (patterns in en, de, fr, es, it, ja, zh):
- ``content.marketing``: promotion, discounts, coupons, newsletters, "our other products", "follow us".
- ``content.review_request``: asking for a review, rating or feedback, positive or not.
- ``content.review_incentive``: a refund, gift or discount in exchange for a review.
- ``content.review_change``: asking to change, update or remove a review or feedback.
- ``content.thanks_only``: a proactive (messaging) text that only thanks or says the order shipped.
Order id:
- ``order_id.missing``: messaging text must quote the order id (Amazon's guidance: include the order ID;
  without a known id, any id-shaped ``3-7-7`` number); e-mail must quote it in the text or the subject when
  the order is known (pre-sale questions have none).
- ``order_id.foreign``: an order id other than this order's, in the text or the subject.

Subjects are checked with the link, contact, format, content and ``order_id.foreign`` rules; their
violations carry ``field="subject"`` and spans within the subject.
"""

from __future__ import annotations

from services.responder.replies.compliance.channels import (
    AMAZON_ORDER_PAGES,
    CARRIER_TRACKING,
    DEFAULT_POLICIES,
    EMAIL_MAX_LENGTH,
    policy_for,
)
from services.responder.replies.compliance.language import LanguageGuess, guess_language, language_of_locale
from services.responder.replies.compliance.linter import lint
from services.responder.replies.compliance.model import ChannelPolicy, LinkRule, LintResult, Violation

RULE_IDS: frozenset[str] = frozenset(
    {
        "channel.unknown", "channel.text_not_allowed", "text.empty", "text.length", "text.language",
        "link.url", "contact.email", "contact.phone", "contact.off_amazon", "format.html", "format.emoji",
        "format.gif", "content.marketing", "content.review_request", "content.review_incentive",
        "content.review_change", "content.thanks_only", "order_id.missing", "order_id.foreign",
    }
)  # fmt: skip
"""Every rule id the linter can report."""

__all__ = [
    "AMAZON_ORDER_PAGES",
    "CARRIER_TRACKING",
    "DEFAULT_POLICIES",
    "EMAIL_MAX_LENGTH",
    "RULE_IDS",
    "ChannelPolicy",
    "LanguageGuess",
    "LinkRule",
    "LintResult",
    "Violation",
    "guess_language",
    "language_of_locale",
    "lint",
    "policy_for",
]
