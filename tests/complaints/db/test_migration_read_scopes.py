"""Keys issued before reads needed a scope keep the reads they had (stats and templates) after the upgrade."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.db.migrate import alembic_config
from tests.plugins.stack import DatabaseFactory

_BEFORE = "5e0c2a9d41b7"


async def test_existing_keys_get_the_new_read_scopes(fresh_database: DatabaseFactory) -> None:
    url = await fresh_database("scopes")
    await asyncio.to_thread(command.upgrade, alembic_config(url), _BEFORE)
    engine = create_async_engine(url)
    insert = sa.text(
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, sellers) "
        "VALUES (gen_random_uuid(), :name, :prefix, :hash, CAST(:scopes AS jsonb), '[]'::jsonb)"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert,
                {"name": "reader", "prefix": "cpk_00000001", "hash": "a" * 64, "scopes": '["tickets:read"]'},
            )
            await conn.execute(
                insert, {"name": "root", "prefix": "cpk_00000002", "hash": "b" * 64, "scopes": '["admin"]'}
            )
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        async with engine.connect() as conn:
            result = await conn.execute(sa.text("SELECT name, scopes FROM api_keys"))
            rows: dict[str, list[str]] = {str(row[0]): list(row[1]) for row in result}
    finally:
        await engine.dispose()
    assert sorted(rows["reader"]) == ["stats:read", "templates:read", "tickets:read"]
    assert rows["root"] == ["admin"]
