"""A database that is restarting is a transient failure for every unit of work, not a crash."""

from __future__ import annotations

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy.exc import DBAPIError

from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError
from shared.settings import DatabaseSettings


@pytest.mark.parametrize(
    "driver_error",
    [
        # What a PostgreSQL in crash recovery answers a new connection (seen when the server restarts).
        asyncpg.exceptions.CannotConnectNowError("the database system is not yet accepting connections"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    ],
)
async def test_operator_intervention_is_retryable(database_admin_url: str, driver_error: Exception) -> None:
    db = Database(DatabaseSettings(url=SecretStr(database_admin_url)))
    try:
        with pytest.raises(RetryableError) as caught:
            async with unit_of_work(db):
                # How SQLAlchemy surfaces these driver errors: a plain DBAPIError, connection not invalidated.
                raise DBAPIError("SELECT 1", None, driver_error)
    finally:
        await db.dispose()
    assert caught.value.code == "db"


async def test_bad_data_is_not_made_retryable(database_admin_url: str) -> None:
    db = Database(DatabaseSettings(url=SecretStr(database_admin_url)))
    try:
        with pytest.raises(DBAPIError):
            async with unit_of_work(db):
                raise DBAPIError("SELECT 1", None, asyncpg.exceptions.CharacterNotInRepertoireError("NUL"))
    finally:
        await db.dispose()
