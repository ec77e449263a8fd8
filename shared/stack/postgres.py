"""PostgreSQL for local runs: ``DATABASE_URL``, else the server on 127.0.0.1:5432, else an embedded one."""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import asyncpg
from sqlalchemy.engine import make_url

from shared.stack import pg_embedded
from shared.stack.paths import stack_dir

__all__ = [
    "LOCAL_ADMIN_URL",
    "PostgresServer",
    "asyncpg_url",
    "create_database",
    "database_exists",
    "drop_database",
    "postgres_server",
    "server_answers",
    "start_postgres",
    "terminate_backends",
]

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "DATABASE_URL"
LOCAL_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
_TERMINATE_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
)
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

Source = Literal["env", "local", "embedded"]


def asyncpg_url(url: str, database: str | None = None) -> str:
    """``url`` as a SQLAlchemy asyncpg URL, optionally pointing at another ``database``."""
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _dsn(url: str) -> str:
    """The libpq-style DSN asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _quoted(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


async def server_answers(url: str, *, connect_timeout: float = 2.0) -> bool:
    """Whether a PostgreSQL server accepts a connection at ``url``."""
    try:
        conn = await asyncpg.connect(_dsn(url), timeout=connect_timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def database_exists(admin_url: str, name: str) -> bool:
    """Whether database ``name`` exists on the server of ``admin_url``."""
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()
    return found is not None


async def create_database(
    admin_url: str, name: str, *, exist_ok: bool = False, template: str | None = None
) -> str:
    """Create database ``name`` (a copy of ``template`` when given) and return its SQLAlchemy asyncpg URL.

    Copying a migrated template is a file copy on the server, far cheaper than running the migrations again;
    the template must have no open sessions while it is copied.
    """
    statement = f"CREATE DATABASE {_quoted(name)}"
    if template is not None:
        statement += f" TEMPLATE {_quoted(template)}"
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(statement)
    except asyncpg.DuplicateDatabaseError:
        if not exist_ok:
            raise
    finally:
        await conn.close()
    return asyncpg_url(admin_url, name)


async def terminate_backends(admin_url: str, database: str) -> int:
    """``pg_terminate_backend`` every other session on ``database``; returns how many were terminated."""
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        rows = await conn.fetch(_TERMINATE_OTHERS, database)
    finally:
        await conn.close()
    return sum(1 for row in rows if row[0])


async def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting its other sessions first."""
    statement = f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(_TERMINATE_OTHERS, name)
        # FORCE also covers sessions that connected between the terminate and the drop.
        await conn.execute(statement)
    finally:
        await conn.close()


class PostgresServer:
    """A usable server; ``admin_url`` is the asyncpg URL of its ``postgres`` (or configured) database."""

    def __init__(self, admin_url: str, source: Source, embedded: pg_embedded.EmbeddedPostgres | None = None):
        self.admin_url = admin_url
        self.source: Source = source
        self._embedded = embedded
        self._release: functools.partial[None] | None = None
        if embedded is not None:
            self._release = functools.partial(embedded.release)
            atexit.register(self._release)

    async def restart(self, *, mode: pg_embedded.ShutdownMode = "immediate") -> None:
        """Restart the embedded server on the same port (only a server this stack runs embedded)."""
        if self._embedded is None:
            raise RuntimeError(f"a {self.source} PostgreSQL server is not ours to restart")
        await asyncio.to_thread(self._embedded.restart, mode=mode)

    async def stop(self) -> None:
        """Release the embedded server (stopped when no other stack uses it); other sources are left alone."""
        embedded, self._embedded = self._embedded, None
        if embedded is None:
            return
        if self._release is not None:
            atexit.unregister(self._release)
        await asyncio.to_thread(embedded.release)


async def start_postgres(
    *,
    environ: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    force_embedded: bool = False,
    local_url: str = LOCAL_ADMIN_URL,
    startup_timeout: float = 60.0,
) -> PostgresServer:
    """Pick or start a server: ``DATABASE_URL``, the local one, or embedded under ``data_dir``."""
    env = os.environ if environ is None else environ
    if not force_embedded:
        configured = env.get(DATABASE_URL_ENV)
        if configured:
            log.info("postgres using DATABASE_URL")
            return PostgresServer(asyncpg_url(configured), "env")
        if await server_answers(local_url):
            log.info("postgres using local server")
            return PostgresServer(asyncpg_url(local_url), "local")
    folder = data_dir if data_dir is not None else stack_dir(env) / "pgdata"
    embedded = await asyncio.to_thread(pg_embedded.acquire, folder, timeout=startup_timeout)
    url = f"postgresql+asyncpg://postgres@{embedded.host}:{embedded.port}/postgres"
    server = PostgresServer(url, "embedded", embedded)
    try:
        if not await server_answers(url, connect_timeout=startup_timeout):
            raise pg_embedded.EmbeddedPostgresError(
                f"embedded postgres at {embedded.host}:{embedded.port} is mute"
            )
    except BaseException:
        await server.stop()
        raise
    return server


@asynccontextmanager
async def postgres_server(
    *,
    environ: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    force_embedded: bool = False,
    local_url: str = LOCAL_ADMIN_URL,
    startup_timeout: float = 60.0,
) -> AsyncIterator[PostgresServer]:
    """``start_postgres`` as a context manager that releases an embedded server on exit."""
    server = await start_postgres(
        environ=environ,
        data_dir=data_dir,
        force_embedded=force_embedded,
        local_url=local_url,
        startup_timeout=startup_timeout,
    )
    try:
        yield server
    finally:
        await server.stop()
