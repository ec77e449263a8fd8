"""Fixtures for the Zendesk sync tests: one migrated database for the folder, a seller and a stand-in per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pydantic import SecretStr

from complaints.db.migrate import upgrade_head_async
from shared.db.session import Database
from shared.settings import DatabaseSettings
from shared.stack.postgres import create_database, drop_database
from shared.stack.zendesk_standin import ZendeskHandle, start_zendesk


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def db(database_admin_url: str) -> AsyncIterator[Database]:
    """The responder's tables, shared by this folder's tests: each test works for a seller of its own."""
    name = f"helpdesk_{uuid.uuid4().hex[:10]}"
    url = await create_database(database_admin_url, name)
    await upgrade_head_async(url)
    database = Database(DatabaseSettings(url=SecretStr(url)))
    yield database
    await database.dispose()
    await drop_database(database_admin_url, name)


@pytest.fixture
def seller() -> str:
    """A seller id no other test uses."""
    return f"A{uuid.uuid4().hex[:12].upper()}"


@pytest_asyncio.fixture
async def zendesk() -> AsyncIterator[ZendeskHandle]:
    """A fresh Zendesk stand-in on a loopback port."""
    handle = await start_zendesk()
    yield handle
    await handle.stop()
