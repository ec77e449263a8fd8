"""JSONB documents are written through one serializer: plain ones fast, unstorable ones cleaned, none refused."""

from __future__ import annotations

import uuid

from pydantic import SecretStr
from sqlalchemy import Column, MetaData, String, Table, insert, select, text

from shared.db.session import Database, unit_of_work
from shared.db.types import JSON
from shared.settings import DatabaseSettings


async def test_documents_with_nul_surrogates_and_int_keys_are_stored_cleaned(database_admin_url: str) -> None:
    name = f"json_docs_{uuid.uuid4().hex[:8]}"
    docs = Table(name, MetaData(), Column("id", String, primary_key=True), Column("doc", JSON))
    given = {
        "plain": {"text": "Das Paket ist nicht angekommen", "n": [1, 2.5, None, True]},
        "nul": {"text": "a\x00b", "list": ["c\x00"]},
        "surrogate": {"text": "x\ud800y"},
        "int_key": {1: "one"},
        "escaped": {"text": "a literal \\u0000 stays"},
    }
    db = Database(DatabaseSettings(url=SecretStr(database_admin_url)))
    try:
        async with unit_of_work(db) as session:
            await session.execute(text(f"CREATE TEMP TABLE {name} (id text PRIMARY KEY, doc jsonb)"))
            await session.execute(insert(docs), [{"id": k, "doc": v} for k, v in given.items()])
            stored = dict((await session.execute(select(docs.c.id, docs.c.doc))).tuples().all())
    finally:
        await db.dispose()
    assert stored == {
        "plain": given["plain"],
        "nul": {"text": "ab", "list": ["c"]},
        "surrogate": {"text": "xy"},
        "int_key": {"1": "one"},
        "escaped": given["escaped"],
    }
