"""A plain asyncpg pool for hot read paths, beside the SQLAlchemy engine that owns every write.

Reads that serve thousands of requests a second cannot afford the ORM's per-statement work (result
metadata, greenlet hops, row processing): measured at ~0.25 ms a request on the ticket routes. These reads
run in autocommit (no BEGIN/COMMIT: under READ COMMITTED each statement has its own snapshot anyway),
keep asyncpg's prepared-statement cache, and skip the reset query on release because they change no
session state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import make_url

from shared.errors import RetryableError
from shared.settings import DatabaseSettings

__all__ = ["ReadPool", "asyncpg_dsn"]

_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: the connection broke or was refused
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.TooManyConnectionsError,
    OSError,  # includes ConnectionError and TimeoutError
)


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://...``) as a libpq DSN asyncpg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Read-only connections carry no session state to reset (saves a round trip per release)."""


class ReadPool:
    """``async with pool.connection() as conn`` for autocommit reads; ``open``/``close`` in a lifespan."""

    def __init__(self, settings: DatabaseSettings, *, application_name: str = "complaints-reads") -> None:
        self._dsn = asyncpg_dsn(settings.url.get_secret_value())
        self._size = settings.pool_size
        self._application_name = application_name
        self._pool: asyncpg.Pool | None = None
        # asyncpg's pool hands connections out through an asyncio.Queue, which is not fair: a task woken
        # for a released connection can find it taken by a newcomer and goes to the back of the line.
        # Under load that starved some requests for 100+ ms (p99 124 ms at 32 clients). The semaphore
        # is FIFO and admits at most pool_size tasks, so each of them finds a connection waiting.
        self._slots = asyncio.Semaphore(settings.pool_size)

    async def open(self) -> None:
        """Connect lazily: the pool starts empty and grows to ``pool_size`` under load."""
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self._size,
            max_inactive_connection_lifetime=300.0,
            reset=_no_reset,
            server_settings={"application_name": self._application_name},
        )

    async def close(self) -> None:
        """Close every connection (waits for the ones in use)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; connection trouble becomes a RetryableError (503 at the API)."""
        if self._pool is None:
            raise RetryableError("read pool is not open", code="db")
        try:
            async with self._slots, self._pool.acquire() as conn:
                yield conn
        except _UNAVAILABLE as exc:
            raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
