"""The ticket status type: the one list of statuses a ticket may have."""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["AWAITING_SELLER", "STATUSES", "TicketStatus"]

TicketStatus = Literal[
    "new",
    "awaiting_reply",
    "replied",
    "waiting_on_buyer",
    "escalated",
    "resolved",
    "closed",
    "no_response_needed",
]
STATUSES: Final[tuple[TicketStatus, ...]] = get_args(TicketStatus)

AWAITING_SELLER: Final[tuple[TicketStatus, ...]] = ("new", "awaiting_reply", "escalated")
"""Statuses in which the buyer is still owed a reply (the clock runs)."""
