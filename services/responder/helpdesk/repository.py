"""All SQL of the helpdesk sync: accounts, the change queue (claim in order per ticket), links."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.helpdesk.tables import HelpdeskAccount, HelpdeskLink, HelpdeskSyncRow
from services.responder.tables import Ticket, TicketEvent

__all__ = [
    "Claimed",
    "claim_heads",
    "link_for_update",
    "load_change",
    "mark_remote_seen",
    "prune_sent",
    "record_outcome",
    "release_stale",
    "save_link",
    "sync_accounts",
    "ticket_for_update",
]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A change claimed for sending (its row is 'sending')."""

    id: int
    ticket_id: uuid.UUID
    seller_id: str
    event_id: int
    attempts: int
    created_at: datetime


async def sync_accounts(session: AsyncSession, *, sellers: Mapping[str, str]) -> None:
    """Make ``helpdesk_accounts`` hold exactly ``sellers`` (seller -> provider): the trigger queues their changes."""
    await session.execute(
        delete(HelpdeskAccount).where(HelpdeskAccount.seller_id.not_in(list(sellers) or [""]))
    )
    if sellers:
        stmt = insert(HelpdeskAccount).values([{"seller_id": s, "provider": p} for s, p in sellers.items()])
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["seller_id"]))


_CLAIM = text(
    """
    WITH heads AS (
        SELECT DISTINCT ON (ticket_id) id, status, not_before
        FROM helpdesk_sync
        WHERE status IN ('pending', 'sending') AND seller_id = ANY(:sellers)
        ORDER BY ticket_id, id
    ), due AS (
        SELECT id FROM heads
        WHERE status = 'pending' AND (not_before IS NULL OR not_before <= :now)
        ORDER BY id LIMIT :limit
    )
    UPDATE helpdesk_sync s
    SET status = 'sending', attempts = s.attempts + 1, claimed_at = :now
    FROM due WHERE s.id = due.id AND s.status = 'pending'
    RETURNING s.id, s.ticket_id, s.seller_id, s.event_id, s.attempts, s.created_at
    """
)


async def claim_heads(
    session: AsyncSession, *, sellers: list[str], now: datetime, limit: int
) -> list[Claimed]:
    """Claim the oldest open change of up to ``limit`` tickets, when it is due: a ticket's changes go in order,
    one at a time (a later change waits while an earlier one is pending or sending)."""
    if not sellers:
        return []
    rows = await session.execute(_CLAIM, {"sellers": sellers, "now": now, "limit": limit})
    return sorted((Claimed(*r) for r in rows.all()), key=lambda c: c.id)


async def release_stale(session: AsyncSession, *, before: datetime) -> int:
    """Changes left 'sending' by a crash go back to 'pending'; their next attempt looks before writing."""
    result = await session.execute(
        update(HelpdeskSyncRow)
        .where(HelpdeskSyncRow.status == "sending", HelpdeskSyncRow.claimed_at < before)
        .values(status="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def load_change(
    session: AsyncSession, claimed: Claimed
) -> tuple[Ticket | None, HelpdeskLink | None, TicketEvent | None]:
    """The ticket, its link and the timeline entry behind a change."""
    ticket = await session.get(Ticket, claimed.ticket_id)
    link = await session.get(HelpdeskLink, claimed.ticket_id)
    entry = await session.get(TicketEvent, claimed.event_id)
    return ticket, link, entry


async def record_outcome(
    session: AsyncSession,
    *,
    change_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    not_before: datetime | None = None,
    refund_attempt: bool = False,
) -> None:
    """Sent, failed or pending again (``refund_attempt``: held back by our own budget, not an attempt)."""
    values: dict[str, Any] = {
        "status": status,
        "last_error": error,
        "not_before": not_before,
        "claimed_at": None,
    }
    if status == "sent":
        values["sent_at"] = now
    if refund_attempt:
        values["attempts"] = HelpdeskSyncRow.attempts - 1
    await session.execute(
        update(HelpdeskSyncRow)
        .where(HelpdeskSyncRow.id == change_id, HelpdeskSyncRow.status == "sending")
        .values(**values)
    )


async def save_link(
    session: AsyncSession, *, ticket_id: uuid.UUID, seller_id: str, remote_id: int, pushed: dict[str, Any]
) -> None:
    """Insert or update the remote twin and what was pushed to it."""
    stmt = insert(HelpdeskLink).values(
        ticket_id=ticket_id, seller_id=seller_id, remote_id=remote_id, pushed=pushed
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["ticket_id"], set_={"remote_id": remote_id, "pushed": pushed}
        )
    )


async def link_for_update(session: AsyncSession, *, ticket_id: uuid.UUID) -> HelpdeskLink | None:
    """The link of a ticket, locked (inbound updates of one ticket are applied one at a time)."""
    stmt = select(HelpdeskLink).where(HelpdeskLink.ticket_id == ticket_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def ticket_for_update(session: AsyncSession, *, ticket_id: uuid.UUID, seller_id: str) -> Ticket | None:
    """The seller's ticket, locked; None when it does not exist or is another seller's."""
    stmt = select(Ticket).where(Ticket.id == ticket_id, Ticket.seller_id == seller_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark_remote_seen(
    session: AsyncSession, link: HelpdeskLink, *, status: str | None, updated_at: datetime | None
) -> None:
    """Remember the newest remote update applied."""
    link.remote_status = status or link.remote_status
    link.remote_updated_at = updated_at
    await session.flush()


async def prune_sent(session: AsyncSession, *, before: datetime, limit: int = 5000) -> int:
    """Forget up to ``limit`` changes sent before ``before`` (failed ones stay for a human)."""
    doomed = (
        select(HelpdeskSyncRow.id)
        .where(HelpdeskSyncRow.status == "sent", HelpdeskSyncRow.sent_at < before)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(delete(HelpdeskSyncRow).where(HelpdeskSyncRow.id.in_(doomed)))
    return int(getattr(result, "rowcount", 0) or 0)
