"""SQL of seller ownership: session-level PostgreSQL advisory locks held on one dedicated connection.

Keys are two int4: a namespace and ``hashtext(seller_id)``. Two sellers sharing a hash share a lock, which only
means the same replica serves both. A member lock keyed by the backend pid marks a live sender, so every
replica can count the others in ``pg_locks`` without a table of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.responder.tables import OutboxMessage

__all__ = [
    "join_members",
    "live_members",
    "lock_budgets",
    "sellers_with_work",
    "try_lock_seller",
    "unlock_seller",
]

NS_SELLER = 0x5E11E0
"""Advisory-lock namespace: the replica serving a seller (session lock)."""
NS_MEMBER = 0x5E11E1
"""Advisory-lock namespace: one lock per live sender (key: its backend pid)."""
NS_BUDGET = 0x5E11E2
"""Advisory-lock namespace: a seller's daily-budget check-and-claim (transaction lock)."""


async def join_members(conn: AsyncConnection) -> None:
    """Mark this connection's sender as live for as long as the connection lives."""
    await conn.execute(text("select pg_advisory_lock(:ns, pg_backend_pid())"), {"ns": NS_MEMBER})


async def live_members(conn: AsyncConnection) -> int:
    """How many senders hold a member lock in this database (at least this one)."""
    stmt = text(
        "select count(distinct pid) from pg_locks where locktype = 'advisory' and granted "
        "and database = (select oid from pg_database where datname = current_database()) "
        "and classid::bigint = :ns and objsubid = 2"
    )
    return max(1, int((await conn.execute(stmt, {"ns": NS_MEMBER})).scalar_one()))


async def try_lock_seller(conn: AsyncConnection, seller_id: str) -> bool:
    """Take the seller's lock for this connection's session; False when another sender holds it."""
    stmt = text("select pg_try_advisory_lock(:ns, hashtext(:seller))")
    return bool((await conn.execute(stmt, {"ns": NS_SELLER, "seller": seller_id})).scalar_one())


async def unlock_seller(conn: AsyncConnection, seller_id: str) -> None:
    """Give the seller's lock up (once: a lock taken twice through a hash collision is held twice)."""
    await conn.execute(
        text("select pg_advisory_unlock(:ns, hashtext(:seller))"), {"ns": NS_SELLER, "seller": seller_id}
    )


async def sellers_with_work(conn: AsyncConnection, *, now: datetime, stale_before: datetime) -> list[str]:
    """Sellers with due pending rows, or with rows left 'sending' since before ``stale_before``."""
    o = OutboxMessage
    due = and_(o.status == "pending", or_(o.not_before.is_(None), o.not_before <= now))
    stale = and_(o.status == "sending", o.claimed_at < stale_before)
    rows = await conn.execute(select(o.seller_id).distinct().where(or_(due, stale)))
    return sorted(str(seller) for (seller,) in rows.all())


async def lock_budgets(session: AsyncSession, seller_ids: Iterable[str]) -> None:
    """Serialise the budget check-and-claim of these sellers across senders until the transaction ends."""
    sellers = sorted(set(seller_ids))
    if not sellers:
        return
    # One statement, keys in ascending order: two senders locking overlapping sets cannot deadlock.
    stmt = text(
        "select pg_advisory_xact_lock(:ns, k) from "
        "(select distinct hashtext(s) as k from unnest(cast(:sellers as text[])) as s order by k) as keys"
    )
    await session.execute(stmt, {"ns": NS_BUDGET, "sellers": sellers})
