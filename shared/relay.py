"""Amazon buyer relay aliases: the only addresses a reply to a buyer may ever go to.

A relay alias is ``<local>[+<case>]@marketplace.amazon.<tld>`` where ``<tld>`` is the relay domain of a known
marketplace (mail NOTES §1.1). Amazon's own system senders on the relay domain (``no-reply@…``) are not
buyers. Ingest uses this to decide what goes into an event, the responder checks it again before any outbox
row is written and the transports once more before a byte leaves: a buyer-controlled ``Reply-To`` or a
look-alike domain never becomes a recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared import marketplaces

__all__ = ["RelayAlias", "is_system_sender", "parse_relay_alias", "reply_target"]

_MAX_ADDRESS = 254  # RFC 5321 path limit
_ALIAS = re.compile(
    r"(?P<local>[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?)(?:\+(?P<suffix>[a-z0-9][a-z0-9._-]{0,126}))?"
    r"@marketplace\.amazon\.(?P<tld>[a-z]{2,3}(?:\.[a-z]{2,3})?)"
)
_SYSTEM_LOCAL = re.compile(
    r"^(?:donotreply|do-not-reply|noreply|no-reply|auto-|atoz-guarantee)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class RelayAlias:
    """A buyer's relay alias: the full lower-case address, the stable buyer part, the per-case suffix."""

    address: str
    local: str
    suffix: str | None
    domain: str
    marketplace_id: str

    @property
    def buyer(self) -> str:
        """The part that identifies the buyer (``local@domain``, without the per-case suffix)."""
        return f"{self.local}@{self.domain}"


def is_system_sender(address: str) -> bool:
    """True for Amazon's system senders (donotreply@, no-reply@, auto-…, atoz-guarantee-no-reply@ ...)."""
    return _SYSTEM_LOCAL.match(address.split("@", 1)[0]) is not None


def parse_relay_alias(address: str | None) -> RelayAlias | None:
    """The relay alias ``address`` is, or None (any other domain, an unknown marketplace, a system sender)."""
    if not address or len(address) > _MAX_ADDRESS:
        return None
    text = address.strip().lower()
    match = _ALIAS.fullmatch(text)
    if match is None or is_system_sender(text):
        return None
    domain = f"marketplace.amazon.{match['tld']}"
    market = marketplaces.by_domain(domain)
    if market is None:
        return None
    return RelayAlias(text, match["local"], match["suffix"], domain, market.marketplace_id)


def reply_target(address: str | None, *, marketplace_id: str | None) -> str | None:
    """``address`` normalised when a reply may go there: a relay alias of ``marketplace_id`` (any known
    marketplace when that is None or unknown); None otherwise."""
    alias = parse_relay_alias(address)
    if alias is None:
        return None
    market = marketplaces.by_id(marketplace_id)
    if market is not None and alias.marketplace_id != market.marketplace_id:
        return None
    return alias.address
