"""Server selection, database create/drop, and the embedded PostgreSQL fallback."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.stack.ports import LOOPBACK, free_port
from shared.stack.postgres import (
    create_database,
    database_exists,
    drop_database,
    postgres_server,
    server_answers,
    start_postgres,
    terminate_backends,
)
from tests.plugins.stack import DatabaseFactory

skip_embedded = pytest.mark.skipif(
    os.environ.get("SKIP_EMBEDDED_PG") == "1", reason="SKIP_EMBEDDED_PG=1 skips the embedded PostgreSQL tests"
)


def _name() -> str:
    return f"stack_test_{uuid.uuid4().hex[:10]}"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _select_one(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            value: int = (await conn.execute(text("SELECT 1"))).scalar_one()
    finally:
        await engine.dispose()
    return value


async def test_created_database_is_usable_and_drop_disconnects_its_sessions(database_admin_url: str) -> None:
    name = _name()
    url = await create_database(database_admin_url, name)
    assert url.startswith("postgresql+asyncpg://")
    assert url.endswith(f"/{name}")
    assert await _select_one(url) == 1
    held = await asyncpg.connect(_plain(url))
    try:
        await drop_database(database_admin_url, name)
        assert not await database_exists(database_admin_url, name)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await held.fetchval("SELECT 1")
    finally:
        await held.close()


async def test_create_database_refuses_an_existing_name_unless_asked(database_admin_url: str) -> None:
    name = _name()
    try:
        await create_database(database_admin_url, name)
        with pytest.raises(asyncpg.DuplicateDatabaseError):
            await create_database(database_admin_url, name)
        assert (await create_database(database_admin_url, name, exist_ok=True)).endswith(f"/{name}")
    finally:
        await drop_database(database_admin_url, name)
    await drop_database(database_admin_url, name)  # dropping a missing database is not an error


async def test_names_that_need_quoting_are_rejected(database_admin_url: str) -> None:
    with pytest.raises(ValueError, match="not a plain database name"):
        await create_database(database_admin_url, 'x"; DROP DATABASE postgres; --')


async def test_fresh_database_fixture_makes_distinct_empty_databases(
    fresh_database: DatabaseFactory, database_admin_url: str
) -> None:
    first, second = await fresh_database("fx"), await fresh_database("fx")
    assert first != second
    assert await _select_one(first) == 1
    assert await database_exists(database_admin_url, second.rsplit("/", 1)[1])


async def test_database_url_from_environment_wins() -> None:
    server = await start_postgres(environ={"DATABASE_URL": "postgresql://app:pw@db.internal:6543/app"})
    assert server.source == "env"
    assert server.admin_url == "postgresql+asyncpg://app:pw@db.internal:6543/app"
    await server.stop()


@skip_embedded
async def test_forced_embedded_server_serves_databases(tmp_path: Path) -> None:
    async with postgres_server(force_embedded=True, data_dir=tmp_path / "pgdata") as server:
        assert server.source == "embedded"
        name = _name()
        url = await create_database(server.admin_url, name)
        assert await _select_one(url) == 1
        await drop_database(server.admin_url, name)
        admin_url = server.admin_url
    assert not await server_answers(admin_url)


@skip_embedded
async def test_embedded_is_the_fallback_and_is_shared_until_the_last_user_stops(tmp_path: Path) -> None:
    dead_local = f"postgresql+asyncpg://postgres@{LOOPBACK}:{free_port()}/postgres"
    data_dir = tmp_path / "pgdata"
    first = await start_postgres(environ={}, local_url=dead_local, data_dir=data_dir)
    second = await start_postgres(environ={}, local_url=dead_local, data_dir=data_dir)
    try:
        assert first.source == second.source == "embedded"
        assert first.admin_url == second.admin_url
        await first.stop()
        assert await server_answers(second.admin_url)
    finally:
        await first.stop()
        await second.stop()
    assert not await server_answers(second.admin_url)


async def test_terminate_backends_ends_the_sessions_of_one_database(fresh_database: DatabaseFactory) -> None:
    url = await fresh_database("term")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    held = await asyncpg.connect(_plain(url))
    try:
        assert await terminate_backends(admin_url, url.rsplit("/", 1)[1]) == 1
        broken = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, ConnectionError)
        with pytest.raises(broken):
            await held.fetchval("SELECT 1")
    finally:
        await held.close()
    assert await _select_one(url) == 1  # new sessions are welcome


@skip_embedded
async def test_embedded_restart_keeps_port_and_data_and_breaks_open_sessions(tmp_path: Path) -> None:
    async with postgres_server(force_embedded=True, data_dir=tmp_path / "pgdata") as server:
        url = await create_database(server.admin_url, _name())
        held = await asyncpg.connect(_plain(url))
        await held.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        try:
            await server.restart(mode="immediate")
            broken = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
            with pytest.raises(broken):
                await held.fetchval("SELECT 1")
        finally:
            await held.close()
        again = await asyncpg.connect(_plain(url))
        try:
            assert await again.fetchval("SELECT n FROM kept") == 42
        finally:
            await again.close()


async def test_only_an_embedded_server_can_be_restarted(database_admin_url: str) -> None:
    server = await start_postgres(environ={"DATABASE_URL": database_admin_url})
    with pytest.raises(RuntimeError, match="not ours to restart"):
        await server.restart()
