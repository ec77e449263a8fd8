"""SQL for human replies: the outbox row by idempotency key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tables import OutboxMessage

__all__ = ["outbox_by_key"]


async def outbox_by_key(session: AsyncSession, *, key: str) -> OutboxMessage | None:
    """The outbox row queued under an idempotency key."""
    stmt = select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    return (await session.execute(stmt)).scalar_one_or_none()
