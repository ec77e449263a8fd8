"""All SQL of the ingest service: the dedup ledger and the report fetches."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.tables import IngestSeen, ReportFetch

__all__ = [
    "SeenRow",
    "finish_report",
    "last_requested",
    "pending_reports",
    "prune_seen",
    "remember",
    "report_fetch",
    "report_requested",
    "seen",
    "try_lock",
]


@dataclass(frozen=True, slots=True)
class SeenRow:
    """One ledger row: a dedup key whose event Kafka acked."""

    dedup_key: str
    event_id: uuid.UUID
    source: str


async def seen(session: AsyncSession, keys: Collection[str]) -> set[str]:
    """The keys already in the ledger (committed by any process)."""
    if not keys:
        return set()
    result = await session.execute(select(IngestSeen.dedup_key).where(IngestSeen.dedup_key.in_(list(keys))))
    return set(result.scalars().all())


async def remember(session: AsyncSession, rows: Iterable[SeenRow]) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING; returns the keys this call inserted.

    Rows are inserted in key order so two transactions claiming overlapping keys lock them in the same
    order (no deadlock); a transaction inserting a key another open transaction holds waits for it.
    """
    unique = {row.dedup_key: row for row in rows}
    if not unique:
        return set()
    values = [
        {"dedup_key": row.dedup_key, "event_id": row.event_id, "source": row.source}
        for row in (unique[key] for key in sorted(unique))
    ]
    stmt = insert(IngestSeen).values(values).on_conflict_do_nothing().returning(IngestSeen.dedup_key)
    result = await session.execute(stmt)
    return set(result.scalars().all())


async def prune_seen(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` ledger keys first seen before ``before``; returns how many."""
    # No ORDER BY: the scan stops at the first ``limit`` old rows, no index on first_seen_at is needed.
    doomed = (
        select(IngestSeen.dedup_key)
        .where(IngestSeen.first_seen_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(IngestSeen).where(IngestSeen.dedup_key.in_(doomed)).returning(IngestSeen.dedup_key)
    )
    return len(result.all())


async def report_fetch(session: AsyncSession, report_id: str) -> ReportFetch | None:
    """The fetch row of one report."""
    return await session.get(ReportFetch, report_id)


async def report_requested(
    session: AsyncSession,
    *,
    report_id: str,
    seller_id: str,
    report_type: str,
    data_end_time: datetime | None,
) -> None:
    """Record a report we asked for (or were told about) that is not processed yet."""
    stmt = (
        insert(ReportFetch)
        .values(
            report_id=report_id,
            seller_id=seller_id,
            report_type=report_type,
            status="requested",
            data_end_time=data_end_time,
        )
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def finish_report(
    session: AsyncSession,
    *,
    report_id: str,
    seller_id: str,
    report_type: str,
    status: str,
    rows: int | None = None,
    error: str | None = None,
    data_end_time: datetime | None = None,
) -> None:
    """Upsert a report's final state: ``done`` (with its row count) or ``failed`` (with the reason)."""
    stmt = insert(ReportFetch).values(
        report_id=report_id,
        seller_id=seller_id,
        report_type=report_type,
        status=status,
        rows=rows,
        error=error,
        data_end_time=data_end_time,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReportFetch.report_id],
        set_={
            "status": status,
            "rows": rows,
            "error": error,
            "data_end_time": func.coalesce(stmt.excluded.data_end_time, ReportFetch.data_end_time),
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


async def last_requested(session: AsyncSession, *, seller_id: str, report_type: str) -> datetime | None:
    """When a report of this type was last requested or received for the seller."""
    result = await session.execute(
        select(func.max(ReportFetch.requested_at)).where(
            ReportFetch.seller_id == seller_id, ReportFetch.report_type == report_type
        )
    )
    return result.scalar_one_or_none()


async def pending_reports(session: AsyncSession, *, limit: int = 100) -> list[ReportFetch]:
    """Reports requested but not processed yet, oldest first."""
    result = await session.execute(
        select(ReportFetch)
        .where(ReportFetch.status == "requested")
        .order_by(ReportFetch.requested_at)
        .limit(limit)
    )
    return list(result.scalars().all())


async def try_lock(session: AsyncSession, name: str) -> bool:
    """Take a transaction-scoped advisory lock named ``name`` if no other transaction holds it."""
    result = await session.execute(select(func.pg_try_advisory_xact_lock(func.hashtextextended(name, 0))))
    return bool(result.scalar_one())
