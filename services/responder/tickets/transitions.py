"""Every ticket status transition, pure: a signal, a queued reply, a send outcome, a human's PATCH."""

from __future__ import annotations

from typing import Final

from services.responder.tickets.status import AWAITING_SELLER, TicketStatus

__all__ = [
    "ESCALATED",
    "ESCALATING_OUTCOMES",
    "REPLIED",
    "REPLIED_FROM",
    "after_agent_reply_queued",
    "after_auto_reply_queued",
    "after_flag",
    "after_signal",
    "flag_of_status",
]

_REOPEN: Final[frozenset[str]] = frozenset({"replied", "waiting_on_buyer", "resolved", "no_response_needed"})
REPLIED: Final = "replied"
ESCALATED: Final = "escalated"
REPLIED_FROM: Final[tuple[TicketStatus, ...]] = ("new", "awaiting_reply", "escalated")
"""Statuses a sent reply moves to 'replied' (the repository applies this rule in SQL)."""
ESCALATING_OUTCOMES: Final[tuple[str, ...]] = ("unknown", "failed")
"""Send outcomes that hand the ticket to a human."""


def after_signal(status: str | None, *, buyer_spoke: bool) -> str:
    """A new ticket is 'new'; a buyer writing again reopens a replied, waiting or closed-as-done ticket."""
    if status in _REOPEN and buyer_spoke:
        return "awaiting_reply"
    return status or "new"


def after_auto_reply_queued(status: str, *, reply_status: str) -> str:
    """An automatic reply to send awaits its outcome; one held as draft or blocked needs a human."""
    if reply_status == "pending":
        return "awaiting_reply"
    if reply_status in ("draft", "blocked"):
        return "escalated"
    return status


def after_agent_reply_queued(status: str, *, reply_status: str) -> str:
    """An agent's reply to send awaits its outcome; a blocked one changes nothing."""
    return "awaiting_reply" if reply_status == "pending" else status


def after_flag(status: str, *, no_response_needed: bool) -> str:
    """Setting 'no response needed' parks a ticket that owed a reply; clearing it reopens it as 'new'."""
    if no_response_needed and status in AWAITING_SELLER:
        return "no_response_needed"
    if not no_response_needed and status == "no_response_needed":
        return "new"
    return status


def flag_of_status(status: str) -> bool:
    """The 'no response needed' flag a status set by hand implies."""
    return status == "no_response_needed"
