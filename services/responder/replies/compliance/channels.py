"""Channel table: text limits from the Messaging API model, link allow-lists, the e-mail limit."""

from __future__ import annotations

from collections.abc import Mapping

from services.responder.replies.compliance.model import ChannelPolicy, LinkRule

__all__ = [
    "AMAZON_ORDER_PAGES",
    "CARRIER_TRACKING",
    "DEFAULT_POLICIES",
    "EMAIL_MAX_LENGTH",
    "UnknownChannelError",
    "policy_for",
]

# Amazon's own buyer-facing order, returns and help pages. Product detail pages (/dp/) and storefronts are
# deliberately absent: a link to them is promotion, which the guidelines forbid.
_AMAZON_TLDS = (
    "com", "ca", "com.mx", "com.br", "co.uk", "de", "fr", "it", "es", "nl", "se", "pl", "com.be", "com.tr",
    "co.jp", "com.au", "in", "ae", "sa", "sg", "eg", "ie", "cn",
)  # fmt: skip
AMAZON_ORDER_PAGES = LinkRule(
    name="amazon_order_pages",
    host_suffixes=tuple(f"amazon.{tld}" for tld in _AMAZON_TLDS),
    path_prefixes=(
        "/gp/your-account", "/your-orders", "/gp/css", "/gp/help", "/hz/", "/returns", "/spr/returns",
        "/gp/orc", "/progress-tracker", "/gp/message", "/messaging",
    ),
)  # fmt: skip

# Carrier tracking pages: the only outside links that serve a delivery problem.
CARRIER_TRACKING = LinkRule(
    name="carrier_tracking",
    host_suffixes=(
        "dhl.de", "dhl.com", "dhl.co.uk", "ups.com", "fedex.com", "usps.com", "royalmail.com",
        "parcelforce.com", "evri.com", "myhermes.de", "dpd.de", "dpd.co.uk", "dpd.fr", "dpd.com",
        "gls-group.eu", "gls-pakete.de", "gls-italy.com", "colissimo.fr", "laposte.fr", "chronopost.fr",
        "correos.es", "seur.com", "poste.it", "brt.it", "post.at", "post.ch", "postnl.nl", "bpost.be",
        "canadapost-postescanada.ca", "auspost.com.au", "japanpost.jp", "kuronekoyamato.co.jp",
        "sagawa-exp.co.jp", "sf-express.com", "swiship.com", "swiship.co.uk", "swiship.de",
    ),
)  # fmt: skip

EMAIL_MAX_LENGTH = 4000
"""E-mail replies: Amazon publishes no limit; twice the Messaging API's 2000 keeps replies readable."""

_WITH_DELIVERY_LINKS = (AMAZON_ORDER_PAGES, CARRIER_TRACKING)
_AMAZON_ONLY = (AMAZON_ORDER_PAGES,)


def _msg(action: str, limit: int, links: tuple[LinkRule, ...] = _AMAZON_ONLY) -> ChannelPolicy:
    return ChannelPolicy(channel=f"messaging:{action}", max_length=limit, proactive=True, link_rules=links)


def _no_text(action: str) -> ChannelPolicy:
    return ChannelPolicy(channel=f"messaging:{action}", max_length=0, text_allowed=False, proactive=True)


DEFAULT_POLICIES: Mapping[str, ChannelPolicy] = {
    p.channel: p
    for p in (
        ChannelPolicy(channel="email", max_length=EMAIL_MAX_LENGTH, link_rules=_WITH_DELIVERY_LINKS),
        _msg("unexpectedProblem", 2000, _WITH_DELIVERY_LINKS),
        _msg("confirmDeliveryDetails", 2000, _WITH_DELIVERY_LINKS),
        _msg("confirmOrderDetails", 2000),
        _msg("confirmServiceDetails", 2000),
        _msg("confirmCustomizationDetails", 800),
        _msg("digitalAccessKey", 400),
        # These actions carry attachments only; any text for them is a bug upstream.
        _no_text("warranty"),
        _no_text("legalDisclosure"),
        _no_text("invoice"),
        _no_text("sendInvoice"),
    )
}


class UnknownChannelError(ValueError):
    """The channel is neither ``email`` nor a known ``messaging:<action>``."""


def policy_for(channel: str, policies: Mapping[str, ChannelPolicy] | None = None) -> ChannelPolicy:
    """The policy of a channel; unknown channels raise so nothing is sent through an unvetted action."""
    table = DEFAULT_POLICIES if policies is None else policies
    try:
        return table[channel]
    except KeyError:
        raise UnknownChannelError(f"unknown channel {channel!r}") from None
