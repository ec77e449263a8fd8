"""Shared fixtures (the local stack from tests.plugins.stack, migrated databases) and the automatic markers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings

from complaints.db.migrate import upgrade_head_async

if TYPE_CHECKING:
    from tests.plugins.stack import DatabaseFactory

pytest_plugins = ["tests.plugins.stack", "tests.plugins.browser", "tests.plugins.otlp"]

_TESTS = Path(__file__).resolve().parent
E2E_DIR = _TESTS / "e2e"
# These start the real broker, PostgreSQL, moto or SMTP themselves, without the session stack's fixtures.
OWN_STACK_DIRS = (E2E_DIR, _TESTS / "shared" / "stack")

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


def auto_markers(fixturenames: Iterable[str], path: Path) -> list[str]:
    """The markers a test earns: a stack fixture or a stack-starting folder -> integration; tests/e2e -> e2e."""
    # Imported here, not at the top: pytest must import the plugin first to rewrite its asserts.
    from tests.plugins.stack import STACK_FIXTURES

    path = path.resolve()
    markers: list[str] = []
    if STACK_FIXTURES.intersection(fixturenames) or any(path.is_relative_to(d) for d in OWN_STACK_DIRS):
        markers.append("integration")
    if path.is_relative_to(E2E_DIR):
        markers.append("e2e")
    return markers


# tryfirst: the markers must be on the items before ``-m`` deselects by them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every collected test so ``pytest -m "not integration"`` runs only the fast unit tests."""
    for item in items:
        # ``fixturenames`` is the whole closure: a fixture built on ``migrated_db`` still counts.
        for name in auto_markers(getattr(item, "fixturenames", ()), item.path):
            item.add_marker(name)
