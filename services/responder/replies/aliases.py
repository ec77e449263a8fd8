"""A ticket's buyer alias: set once from the first relay alias, never changed by a later message.

``settle_alias`` is the pure decision; ``alias_entry`` puts what a message could not change on the ticket's
timeline, the address encrypted like every other PII column (``pii_enc``), for a human to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.responder.tickets import timeline
from shared.crypto import PiiCipher
from shared.events import ComplaintSignalReceived
from shared.relay import parse_relay_alias, reply_target

__all__ = ["AliasChange", "alias_entry", "settle_alias"]


@dataclass(frozen=True, slots=True)
class AliasChange:
    """What a message's buyer alias does to its ticket's stored one.

    ``store``: the alias to write (None: keep the stored value). ``target``: where replies on the thread go.
    ``changed``: the message came from another relay alias than the stored one (kept; a human looks).
    ``replaced``: the stored value was no relay alias of the marketplace (a row from before this check) and
    the message's alias takes its place. ``refused``: the message named a reply address that is no relay alias.
    """

    store: str | None
    target: str | None
    changed: bool = False
    replaced: bool = False
    refused: bool = False

    def same_buyer(self, incoming: str | None) -> bool:
        """True when ``incoming`` differs from the target only in its per-case ``+suffix``."""
        new, old = parse_relay_alias(incoming), parse_relay_alias(self.target)
        return new is not None and old is not None and new.buyer == old.buyer


def settle_alias(*, stored: str | None, incoming: str | None, marketplace_id: str | None) -> AliasChange:
    """An existing ticket's alias never changes automatically; only a missing or invalid one is filled in."""
    kept = reply_target(stored, marketplace_id=marketplace_id)
    new = reply_target(incoming, marketplace_id=marketplace_id)
    refused = bool(incoming) and new is None
    if kept is None:
        return AliasChange(
            store=new, target=new, replaced=stored is not None and new is not None, refused=refused
        )
    return AliasChange(store=None, target=kept, changed=new is not None and new != kept, refused=refused)


def alias_entry(
    *, signal: ComplaintSignalReceived, alias: AliasChange, cipher: PiiCipher
) -> timeline.Entry | None:
    """The timeline entry for a reply address this message could not set (encrypted), or None."""
    incoming = signal.reply_to
    if alias.changed:
        kind, data = "buyer_alias_changed", {"kept": "stored", "same_buyer": alias.same_buyer(incoming)}
    elif alias.replaced:
        kind, data = (
            "buyer_alias_replaced",
            {"reason": "the stored address is no relay alias of the marketplace"},
        )
    elif alias.refused:
        kind, data = "reply_address_refused", {"reason": "not a relay alias of the ticket's marketplace"}
    else:
        return None
    return timeline.alias_entry(kind, data, signal=signal, cipher=cipher)
