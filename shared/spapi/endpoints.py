"""Regional SP-API hosts, marketplace ids and the operations the client calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "MARKETPLACE_REGIONS",
    "MESSAGE_ACTIONS",
    "PRODUCTION_HOSTS",
    "SANDBOX_HOSTS",
    "MessageAction",
    "Region",
    "base_url_for",
    "default_locale",
    "region_of",
]

Region = Literal["na", "eu", "fe"]

PRODUCTION_HOSTS: dict[Region, str] = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
SANDBOX_HOSTS: dict[Region, str] = {
    region: url.replace("https://", "https://sandbox.") for region, url in PRODUCTION_HOSTS.items()
}

# Marketplace id -> (region, the marketplace's usual buyer locale) (NOTES §4.2).
_MARKETPLACES: dict[str, tuple[Region, str]] = {
    "ATVPDKIKX0DER": ("na", "en-US"),
    "A2EUQ1WTGCTBG2": ("na", "en-CA"),
    "A1AM78C64UM0Y8": ("na", "es-MX"),
    "A2Q3Y263D00KWC": ("na", "pt-BR"),
    "A1F83G8C2ARO7P": ("eu", "en-GB"),
    "A1PA6795UKMFR9": ("eu", "de-DE"),
    "A13V1IB3VIYZZH": ("eu", "fr-FR"),
    "APJ6JRA9NG5V4": ("eu", "it-IT"),
    "A1RKKUPIHCS9HS": ("eu", "es-ES"),
    "A1805IZSGTT6HS": ("eu", "nl-NL"),
    "A2NODRKZP88ZB9": ("eu", "sv-SE"),
    "A1C3SOZRARQ6R3": ("eu", "pl-PL"),
    "AMEN7PMS3EDWL": ("eu", "fr-BE"),
    "A28R8C7NBKEWEA": ("eu", "en-IE"),
    "A33AVAJ2PDY3EV": ("eu", "tr-TR"),
    "ARBP9OOSHTCHU": ("eu", "ar-EG"),
    "A17E79C6D8DWNP": ("eu", "ar-SA"),
    "A2VIGQ35RCS4UG": ("eu", "ar-AE"),
    "A21TJRUUN4KGV": ("eu", "en-IN"),
    "AE08WJ6YKNBMC": ("eu", "en-ZA"),
    "A1VC38T7YXB528": ("fe", "ja-JP"),
    "A39IBJ37TRP1C6": ("fe", "en-AU"),
    "A19VAU5U5O7RUS": ("fe", "en-SG"),
}
MARKETPLACE_REGIONS: dict[str, Region] = {mp: region for mp, (region, _) in _MARKETPLACES.items()}


def region_of(marketplace_id: str) -> Region:
    """The SP-API region serving a marketplace; ValueError for an unknown id."""
    try:
        return MARKETPLACE_REGIONS[marketplace_id]
    except KeyError:
        raise ValueError(f"unknown marketplace id {marketplace_id!r}") from None


def default_locale(marketplace_id: str) -> str:
    """The usual buyer locale of a marketplace (``en-US`` when unknown)."""
    entry = _MARKETPLACES.get(marketplace_id)
    return entry[1] if entry else "en-US"


def base_url_for(configured: str, marketplace_id: str | None) -> str:
    """Where to send a call for ``marketplace_id``.

    A configured Amazon host routes each call to the marketplace's region (keeping sandbox or production);
    any other host (the loopback stand-in, a proxy) serves every region as configured.
    """
    configured = configured.rstrip("/")
    if marketplace_id is None:
        return configured
    host = urlsplit(configured).hostname or ""
    if f"https://{host}" in SANDBOX_HOSTS.values():
        return SANDBOX_HOSTS[region_of(marketplace_id)]
    if f"https://{host}" in PRODUCTION_HOSTS.values():
        return PRODUCTION_HOSTS[region_of(marketplace_id)]
    return configured


@dataclass(frozen=True)
class MessageAction:
    """A Messaging v1 message type: the action name, its operation id and path suffix."""

    name: str
    operation: str
    path: str


_ACTIONS = (
    MessageAction(
        "confirmCustomizationDetails", "confirmCustomizationDetails", "confirmCustomizationDetails"
    ),
    MessageAction("confirmDeliveryDetails", "createConfirmDeliveryDetails", "confirmDeliveryDetails"),
    MessageAction("legalDisclosure", "createLegalDisclosure", "legalDisclosure"),
    MessageAction("confirmOrderDetails", "createConfirmOrderDetails", "confirmOrderDetails"),
    MessageAction("confirmServiceDetails", "createConfirmServiceDetails", "confirmServiceDetails"),
    MessageAction("warranty", "CreateWarranty", "warranty"),
    MessageAction("digitalAccessKey", "createDigitalAccessKey", "digitalAccessKey"),
    MessageAction("unexpectedProblem", "createUnexpectedProblem", "unexpectedProblem"),
    MessageAction("invoice", "sendInvoice", "invoice"),
)
# Action names as getMessagingActionsForOrder lists them (path suffixes), plus the operation ids and the
# "sendInvoice" spelling some sources use for the invoice action.
MESSAGE_ACTIONS: dict[str, MessageAction] = {
    **{a.name: a for a in _ACTIONS},
    **{a.operation: a for a in _ACTIONS},
}
