"""Engine, session factory and the unit of work that owns the transaction.

Handlers and repositories receive an ``AsyncSession`` and never commit: ``unit_of_work`` commits when the
block returns and rolls back when it raises. Database errors are classified for the consumer loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.cleaning import storable_json
from shared.errors import STATEMENT_TIMEOUT_SQLSTATE, RetryableError
from shared.settings import DatabaseSettings

__all__ = ["Database", "create_engine", "unit_of_work"]

# SQLSTATE classes of a server that is going away or not back yet: connection exceptions (08) and operator
# intervention (57: shutdown, crash recovery, terminated backend). SQLAlchemy raises a plain DBAPIError for them.
_UNAVAILABLE_SQLSTATE = {"08", "57"}


_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _json_serializer(value: Any) -> str:
    # Every JSONB write goes through here: a NUL anywhere in a document would fail the whole transaction.
    # Fast path: orjson as it is (stdlib json plus the walk cost a consumer a seventh of its CPU, issue 14);
    # a document with NUL, a lone surrogate (orjson refuses it), a non-str key or anything orjson does not
    # take as plain JSON goes the careful way, as before.
    try:
        text = orjson.dumps(value, option=_STRICT)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(storable_json(value))
    if b"\\u0000" in text:
        return json.dumps(storable_json(value))
    return text.decode()


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An asyncpg engine with a bounded pool; JSONB documents are written without NUL."""
    return create_async_engine(
        settings.url.get_secret_value(),
        json_serializer=_json_serializer,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        # no pre-ping: it costs a round trip per checkout; stale connections are recycled and, if one
        # breaks anyway, the unit of work turns the error into a retry
        pool_recycle=300,
        pool_timeout=settings.pool_timeout_s,
        echo=settings.echo,
        # Statement parameters carry buyer data: never in exception messages (and so never in logs).
        hide_parameters=True,
        # A runaway query or a forgotten transaction ends server-side instead of holding the connection.
        connect_args={"server_settings": settings.server_settings()},
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
    except (OperationalError, OSError, ConnectionError, PoolTimeout) as exc:
        # PoolTimeout: every pooled connection stayed busy for pool_timeout_s (answered 503, not 500).
        raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise RetryableError("database connection lost", code="db") from exc
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
        if sqlstate == STATEMENT_TIMEOUT_SQLSTATE:
            raise RetryableError(f"database statement timed out ({sqlstate})", code="db_timeout") from exc
        if sqlstate[:2] in _UNAVAILABLE_SQLSTATE:
            raise RetryableError(f"database unavailable ({sqlstate})", code="db") from exc
        raise
