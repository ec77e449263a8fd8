"""No SQL parameters or buyer text in any log line: hidden by the engine, withheld by the JSON formatter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db.session import Database
from shared.logging import configure_logging
from shared.settings import DatabaseSettings
from tests.plugins.stack import DatabaseFactory
from tests.shared.raw_http import serve_asgi

BUYER = "jane.buyer+4915155501234@example.net"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Logging as every service configures it (JSON lines), its stream kept for the test to read."""
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO")
    ours = [h for h in root.handlers if getattr(h, "_complaints", False)]
    assert len(ours) == 1
    assert isinstance(ours[0], logging.StreamHandler)
    out = io.StringIO()
    ours[0].setStream(out)
    try:
        yield out
    finally:
        root.removeHandler(ours[0])
        root.setLevel(level)


async def test_engine_errors_do_not_carry_parameters(fresh_database: DatabaseFactory) -> None:
    db = Database(DatabaseSettings(url=SecretStr(await fresh_database("hide"))))
    try:
        with pytest.raises(DBAPIError) as caught:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1 / 0 WHERE CAST(:v AS text) IS NOT NULL"), {"v": BUYER})
    finally:
        await db.dispose()
    assert "hide_parameters" in str(caught.value)
    assert BUYER not in str(caught.value)


async def test_a_db_error_in_a_request_logs_no_buyer_text(
    fresh_database: DatabaseFactory, json_logs: io.StringIO
) -> None:
    db = Database(DatabaseSettings(url=SecretStr(await fresh_database("logs"))))
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        async with db.engine.connect() as conn:
            # asyncpg quotes the rejected value in its own message, whatever the engine hides.
            await conn.execute(text("SELECT CAST(CAST(:v AS text) AS uuid)"), {"v": BUYER})

    try:
        async with (
            serve_asgi(app) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client,
        ):
            answer = await client.get("/boom")
    finally:
        await db.dispose()
    assert answer.status_code == 500
    output = json_logs.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    crash = [doc for doc in lines if doc["event"].startswith("Exception in ASGI application")]
    assert crash, output
    assert crash[0]["exc_type"]
    assert "[message withheld]" in crash[0]["exc"]
    assert "Traceback (most recent call last)" in crash[0]["exc"]
    assert BUYER not in output
    assert "jane.buyer" not in output
