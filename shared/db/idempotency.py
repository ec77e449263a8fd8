"""Processed-event keys: written in the same transaction as the side effect (the eventsourcing model).

A duplicate delivery finds its key already there and is skipped, never applied twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import created_at_column

__all__ = ["ProcessedEvent", "claim_events", "fresh_events"]


class ProcessedEvent(Base):
    """One row per (consumer, event) that has been applied."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    processed_at: Mapped[datetime] = created_at_column()


async def claim_events(
    session: AsyncSession, *, consumer: str, event_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Insert the keys; return the ids that were new (the ones to apply now)."""
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    stmt = (
        insert(ProcessedEvent)
        .values([{"consumer": consumer, "event_id": i} for i in ids])
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_id)
    )
    result = await session.execute(stmt)
    return set(result.scalars().all())


class _HasEventId(Protocol):
    @property
    def event_id(self) -> uuid.UUID: ...


E = TypeVar("E", bound=_HasEventId)


async def fresh_events(session: AsyncSession, *, consumer: str, events: Sequence[E]) -> list[E]:
    """The events to apply now, in order: claimed for the first time, and each once within the batch."""
    fresh = await claim_events(session, consumer=consumer, event_ids=(e.event_id for e in events))
    todo: list[E] = []
    for event in events:
        if event.event_id in fresh:
            fresh.discard(event.event_id)  # the same event twice in one batch is applied once
            todo.append(event)
    return todo
