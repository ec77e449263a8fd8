"""Shared fixtures: the local stack (tests.plugins.stack) and migrated databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio
from hypothesis import settings as hypothesis_settings

from complaints.db.migrate import upgrade_head_async

if TYPE_CHECKING:
    from tests.plugins.stack import DatabaseFactory

pytest_plugins = ["tests.plugins.stack"]

# CI judges a submission in one run: property tests use a fixed seed there, so its verdict is reproducible and
# a new finding cannot fail an unrelated change. Local runs and FUZZ_EXAMPLES long runs keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest_asyncio.fixture
async def migrated_db(fresh_database: DatabaseFactory) -> AsyncIterator[str]:
    """A new database at the newest migration; dropped after the test."""
    url = await fresh_database("m")
    await upgrade_head_async(url)
    yield url
