"""A small pool of plain asyncpg connections for hot read paths, beside the SQLAlchemy engine that owns
every write.

Reads that serve thousands of requests a second cannot afford the ORM's per-statement work (result
metadata, greenlet hops, row processing: ~0.25 ms a request on the ticket routes), nor asyncpg's own
pool's per-checkout work (holders, shielded release, inactivity timers: ~10 % of a list request). These
reads run in autocommit (no BEGIN/COMMIT: under READ COMMITTED each statement has its own snapshot
anyway), keep asyncpg's prepared-statement cache per connection and change no session state, so a
connection goes back to the pool as it is.

Admission is a FIFO semaphore of ``pool_size`` permits: a waiting request is served in arrival order.
(asyncpg's pool hands connections out through an asyncio.Queue, where a woken waiter can lose the
connection to a newcomer and go to the back of the line: p99 124 ms at 32 clients, 19 ms with the
semaphore.) Connections are opened lazily and dropped, not reused, after anything but a clean answer or
a PostgreSQL error.

Every connection starts with the configured ``statement_timeout`` and ``idle_in_transaction_session_timeout``;
a statement ended by its timeout, or a wait for a slot longer than ``pool_timeout_s``, is a ``RetryableError``
(the API answers 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

import asyncpg
from sqlalchemy import make_url

from shared.errors import RetryableError
from shared.settings import DatabaseSettings

__all__ = ["ReadPool", "asyncpg_dsn"]

_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: the connection broke or was refused
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # e.g. the connection was closed under us
    OSError,  # includes ConnectionError and TimeoutError
)


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://...``) as a libpq DSN asyncpg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class ReadPool:
    """``async with pool.connection() as conn`` for autocommit reads; ``open``/``close`` in a lifespan."""

    def __init__(self, settings: DatabaseSettings, *, application_name: str = "complaints-reads") -> None:
        self._dsn = asyncpg_dsn(settings.url.get_secret_value())
        self._application_name = application_name
        self._server_settings = settings.server_settings()
        self._timeout = settings.pool_timeout_s
        self._slots = asyncio.Semaphore(settings.pool_size)
        self._idle: list[asyncpg.Connection] = []
        self._open = False

    async def open(self) -> None:
        """Start lending (connections are opened on first use)."""
        self._open = True

    async def close(self) -> None:
        """Close the idle connections; the ones lent out are closed when they come back."""
        self._open = False
        idle, self._idle = self._idle, []
        await asyncio.gather(*(conn.close(timeout=5) for conn in idle), return_exceptions=True)

    def connection(self) -> _Lease:
        """A pooled connection for one request."""
        return _Lease(self)

    async def _connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn, server_settings={**self._server_settings, "application_name": self._application_name}
        )
        return conn


class _Lease:
    """Async context manager: waits for a slot, lends an idle (or new) connection, takes it back."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        pool = self._pool
        if not pool._open:
            raise RetryableError("read pool is closed", code="db")
        try:
            async with asyncio.timeout(pool._timeout):
                await pool._slots.acquire()
        except TimeoutError:
            raise RetryableError("read pool busy: no connection within the pool timeout", code="db") from None
        try:
            conn = pool._idle.pop() if pool._idle else None
            if conn is None or conn.is_closed():
                conn = await pool._connect()
        except BaseException as exc:
            pool._slots.release()
            if isinstance(exc, _UNAVAILABLE):
                raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
            raise
        self._conn = conn
        return conn

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pool, conn = self._pool, self._conn
        self._conn = None
        try:
            # After a PostgreSQL error the connection is idle and usable; after anything else (a broken
            # socket, a cancelled query) its state is unknown, so it is dropped and replaced on demand.
            clean = exc is None or (
                isinstance(exc, asyncpg.PostgresError) and not isinstance(exc, _UNAVAILABLE)
            )
            if conn is not None:
                if clean and pool._open and not conn.is_closed():
                    pool._idle.append(conn)
                else:
                    conn.terminate()
        finally:
            pool._slots.release()
        if exc is not None and isinstance(exc, _UNAVAILABLE):
            raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
        if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
            raise RetryableError("database statement timed out", code="db") from exc
