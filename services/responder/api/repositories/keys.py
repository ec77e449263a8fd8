"""SQL for API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.tables import ApiKey

__all__ = ["get_key_by_id", "get_key_by_prefix", "insert_key", "list_keys", "revoke_key"]


async def get_key_by_prefix(session: AsyncSession, *, prefix: str) -> ApiKey | None:
    """The key with this visible prefix (revoked or not)."""
    return (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one_or_none()


async def get_key_by_id(session: AsyncSession, *, key_id: uuid.UUID) -> ApiKey | None:
    """The key with this id (revoked or not)."""
    return await session.get(ApiKey, key_id)


async def insert_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    """Store a new key (flushed so its id is set)."""
    session.add(key)
    await session.flush()
    return key


async def list_keys(session: AsyncSession, *, include_revoked: bool) -> Sequence[ApiKey]:
    """Every key, newest first."""
    stmt = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return (await session.execute(stmt)).scalars().all()


async def revoke_key(session: AsyncSession, *, ident: str, now: datetime) -> ApiKey | None:
    """Revoke by id or prefix; returns the key, or None when no active key matches."""
    try:
        key_id: uuid.UUID | None = uuid.UUID(ident)
    except ValueError:
        key_id = None
    match = ApiKey.prefix == ident if key_id is None else or_(ApiKey.id == key_id, ApiKey.prefix == ident)
    stmt = update(ApiKey).where(match, ApiKey.revoked_at.is_(None)).values(revoked_at=now).returning(ApiKey)
    return (await session.execute(stmt)).scalar_one_or_none()
