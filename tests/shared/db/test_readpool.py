"""The read pool on the real PostgreSQL: FIFO admission, connection reuse and replacement, clean failures."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from pydantic import SecretStr

from shared.db.readpool import ReadPool
from shared.errors import RetryableError
from shared.settings import DatabaseSettings
from shared.stack.ports import LOOPBACK, free_port
from tests.plugins.stack import DatabaseFactory


async def _pool(url: str, size: int) -> ReadPool:
    pool = ReadPool(DatabaseSettings(url=SecretStr(url), pool_size=size))
    await pool.open()
    return pool


async def _pid(pool: ReadPool) -> int:
    async with pool.connection() as conn:
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
        return pid


async def test_waiters_are_served_in_arrival_order(fresh_database: DatabaseFactory) -> None:
    pool = await _pool(await fresh_database("rp"), size=1)
    order: list[int] = []

    async def reader(i: int) -> None:
        async with pool.connection() as conn:
            await conn.fetchval("SELECT 1")
            order.append(i)

    try:
        async with pool.connection():  # hold the only connection while 20 readers queue up
            tasks = []
            for i in range(20):
                tasks.append(asyncio.create_task(reader(i)))
                await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        await pool.close()
    assert order == list(range(20))


async def test_connections_are_reused_kept_after_sql_errors_and_replaced_after_cancellation(
    fresh_database: DatabaseFactory,
) -> None:
    pool = await _pool(await fresh_database("rp"), size=1)
    try:
        first = await _pid(pool)
        assert await _pid(pool) == first
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with pool.connection() as conn:
                await conn.fetchval("SELECT 1 / 0")
        assert await _pid(pool) == first  # a PostgreSQL error leaves the connection usable

        async def slow() -> None:
            async with pool.connection() as conn:
                await conn.fetchval("SELECT pg_sleep(5)")

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        replacement = await _pid(pool)  # the interrupted connection was dropped, not lent again
        assert replacement != first
        assert await _pid(pool) == replacement
    finally:
        await pool.close()


async def test_an_unreachable_database_is_retryable_and_frees_the_slot() -> None:
    url = f"postgresql+asyncpg://postgres@{LOOPBACK}:{free_port()}/nowhere"
    pool = await _pool(url, size=1)
    for _ in range(2):  # the failed attempt gave its slot back, so the second one is not stuck
        with pytest.raises(RetryableError):
            async with asyncio.timeout(10), pool.connection():
                pass
    await pool.close()
    with pytest.raises(RetryableError):
        async with pool.connection():
            pass
