"""Engine, session factory and the unit of work that owns the transaction.

Handlers and repositories receive an ``AsyncSession`` and never commit: ``unit_of_work`` commits when the
block returns and rolls back when it raises. Database errors are classified for the consumer loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.errors import RetryableError
from shared.settings import DatabaseSettings

__all__ = ["Database", "create_engine", "unit_of_work"]


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An asyncpg engine with a bounded pool."""
    return create_async_engine(
        settings.url.get_secret_value(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        # no pre-ping: it costs a round trip per checkout; stale connections are recycled and, if one
        # breaks anyway, the unit of work turns the error into a retry
        pool_recycle=300,
        echo=settings.echo,
    )


class Database:
    """Engine plus session factory, created in a service's lifespan."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.engine = create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    async def dispose(self) -> None:
        """Close the pool."""
        await self.engine.dispose()

    async def ping(self) -> bool:
        """Readiness: a trivial query answers."""
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))
        return True


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on error; connection trouble is retryable."""
    try:
        async with db.sessions() as session, session.begin():
            yield session
    except IntegrityError:
        raise
    except (OperationalError, OSError, ConnectionError) as exc:
        raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise RetryableError("database connection lost", code="db") from exc
        raise
