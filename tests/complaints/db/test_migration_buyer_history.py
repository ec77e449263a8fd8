"""The responder's buyer history starts with what the classifier already knew (backfill in the migration)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.db.migrate import alembic_config
from tests.plugins.stack import DatabaseFactory

_BEFORE = "3b7d9e1c5a20"
_COLUMNS = "event_id, buyer_hash, seller_id, order_id, kind, reason, long_use, occurred_at"


async def test_the_classifiers_buyer_events_are_copied_to_the_responders_history(
    fresh_database: DatabaseFactory,
) -> None:
    url = await fresh_database("buyers")
    await asyncio.to_thread(command.upgrade, alembic_config(url), _BEFORE)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    f"INSERT INTO classifier_buyer_events ({_COLUMNS}) VALUES "
                    "(gen_random_uuid(), :h, 'S1', '111-1', 'return', 'defective', true, now()), "
                    "(gen_random_uuid(), :h, 'S2', NULL, 'a_to_z', NULL, false, now() - interval '9 days')"
                ),
                {"h": "c" * 64},
            )
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        async with engine.connect() as conn:
            select = f"SELECT {_COLUMNS} FROM %s ORDER BY event_id"
            before = (await conn.execute(sa.text(select % "classifier_buyer_events"))).all()
            after = (await conn.execute(sa.text(select % "responder_buyer_events"))).all()
    finally:
        await engine.dispose()
    assert len(after) == 2
    assert after == before
