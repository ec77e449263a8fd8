"""Amazon marketplaces: id, relay-mail domain, SP-API region and the language to hint.

Shared by ingest (which marketplace a mail or notification belongs to) and the responder (which relay
alias a reply may go to, ``shared.relay``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MARKETPLACES", "Marketplace", "by_domain", "by_id"]


@dataclass(frozen=True, slots=True)
class Marketplace:
    """One marketplace; ``language`` is None where the marketplace has no single main language."""

    marketplace_id: str
    domain_suffix: str
    region: str
    language: str | None


MARKETPLACES = (
    Marketplace("ATVPDKIKX0DER", "com", "na", "en"),
    Marketplace("A2EUQ1WTGCTBG2", "ca", "na", "en"),
    Marketplace("A1AM78C64UM0Y8", "com.mx", "na", "es"),
    Marketplace("A2Q3Y263D00KWC", "com.br", "na", "pt"),
    Marketplace("A1F83G8C2ARO7P", "co.uk", "eu", "en"),
    Marketplace("A28R8C7NBKEWEA", "ie", "eu", "en"),
    Marketplace("A1PA6795UKMFR9", "de", "eu", "de"),
    Marketplace("A13V1IB3VIYZZH", "fr", "eu", "fr"),
    Marketplace("APJ6JRA9NG5V4", "it", "eu", "it"),
    Marketplace("A1RKKUPIHCS9HS", "es", "eu", "es"),
    Marketplace("A1805IZSGTT6HS", "nl", "eu", "nl"),
    Marketplace("AMEN7PMS3EDWL", "com.be", "eu", None),  # French and Dutch
    Marketplace("A2NODRKZP88ZB9", "se", "eu", "sv"),
    Marketplace("A1C3SOZRARQ6R3", "pl", "eu", "pl"),
    Marketplace("A33AVAJ2PDY3EV", "com.tr", "eu", "tr"),
    Marketplace("A2VIGQ35RCS4UG", "ae", "eu", None),  # English and Arabic
    Marketplace("A17E79C6D8DWNP", "sa", "eu", "ar"),
    Marketplace("ARBP9OOSHTCHU", "eg", "eu", "ar"),
    Marketplace("A21TJRUUN4KGV", "in", "eu", "en"),
    Marketplace("A1VC38T7YXB528", "co.jp", "fe", "ja"),
    Marketplace("A39IBJ37TRP1C6", "com.au", "fe", "en"),
    Marketplace("A19VAU5U5O7RUS", "sg", "fe", "en"),
)
_BY_ID = {market.marketplace_id: market for market in MARKETPLACES}
_BY_SUFFIX = {market.domain_suffix: market for market in MARKETPLACES}


def by_id(marketplace_id: str | None) -> Marketplace | None:
    """The marketplace with this SP-API id."""
    return _BY_ID.get((marketplace_id or "").strip().upper())


def by_domain(domain: str | None) -> Marketplace | None:
    """The marketplace of an Amazon host name (``marketplace.amazon.co.jp``, ``amazon.de``...)."""
    host = (domain or "").strip().lower().rstrip(".")
    marker = "amazon."
    index = host.rfind(marker)
    if index < 0 or (index > 0 and host[index - 1] != "."):
        return None
    return _BY_SUFFIX.get(host[index + len(marker) :])
