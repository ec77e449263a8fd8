"""Every connection carries statement and idle-in-transaction timeouts; a timed-out statement and a pool that
stays busy are retryable errors, never a hang or an unclassified failure."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from shared.db.readpool import ReadPool
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError
from shared.settings import DatabaseSettings
from tests.plugins.stack import DatabaseFactory


def _settings(url: str, **overrides: object) -> DatabaseSettings:
    values: dict[str, object] = {
        "url": SecretStr(url),
        "pool_size": 1,
        "statement_timeout_ms": 200,
        "idle_in_transaction_timeout_ms": 1500,
        "pool_timeout_s": 0.3,
        **overrides,
    }
    return DatabaseSettings.model_validate(values)


async def test_engine_connections_time_out_statements(fresh_database: DatabaseFactory) -> None:
    db = Database(_settings(await fresh_database("timeouts")))
    try:
        async with unit_of_work(db) as session:
            shown = (await session.execute(text("SHOW statement_timeout"))).scalar_one()
            idle = (await session.execute(text("SHOW idle_in_transaction_session_timeout"))).scalar_one()
        assert (shown, idle) == ("200ms", "1500ms")
        with pytest.raises(RetryableError, match=r"57014|timed out"):
            async with unit_of_work(db) as session:
                await session.execute(text("SELECT pg_sleep(5)"))
        async with unit_of_work(db) as session:  # the connection is still good afterwards
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()


async def test_a_busy_engine_pool_is_retryable(fresh_database: DatabaseFactory) -> None:
    db = Database(_settings(await fresh_database("busy")))
    try:
        # pool_size 1 plus an overflow of 1: two held connections leave nothing to lend.
        async with db.engine.connect() as first, db.engine.connect() as second:
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))
            with pytest.raises(RetryableError, match="TimeoutError"):
                async with unit_of_work(db) as session:
                    await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_read_pool_connections_time_out_and_a_busy_pool_is_retryable(
    fresh_database: DatabaseFactory,
) -> None:
    pool = ReadPool(_settings(await fresh_database("rpt")))
    await pool.open()
    try:
        async with pool.connection() as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "200ms"
            assert await conn.fetchval("SHOW idle_in_transaction_session_timeout") == "1500ms"
        with pytest.raises(RetryableError, match="timed out"):
            async with pool.connection() as conn:
                await conn.fetchval("SELECT pg_sleep(5)")
        async with pool.connection():  # the only slot is held: the next request gives up, it does not hang
            with pytest.raises(RetryableError, match="busy"):
                async with pool.connection():
                    pass
        async with pool.connection() as conn:
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
