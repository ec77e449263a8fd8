"""Shared fixtures: the local stack (tests.plugins.stack) and migrated databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

from shared.db.migrate import upgrade_head_async

if TYPE_CHECKING:
    from tests.plugins.stack import DatabaseFactory

pytest_plugins = ["tests.plugins.stack"]


@pytest_asyncio.fixture
async def migrated_db(fresh_database: DatabaseFactory) -> AsyncIterator[str]:
    """A new database at the newest migration; dropped after the test."""
    url = await fresh_database("m")
    await upgrade_head_async(url)
    yield url
