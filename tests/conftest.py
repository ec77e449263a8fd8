"""Shared fixtures (the local stack from tests.plugins.stack, migrated databases) and the automatic markers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings

from complaints.db.migrate import upgrade_head_async
from shared.stack.postgres import create_database, drop_database

if TYPE_CHECKING:
    from tests.plugins.stack import DatabaseFactory

pytest_plugins = [
    "tests.plugins.stack",
    "tests.plugins.browser",
    "tests.plugins.tracing",
    "tests.plugins.otlp",
]

_TESTS = Path(__file__).resolve().parent
E2E_DIR = _TESTS / "e2e"
# These start the real broker, PostgreSQL, moto or SMTP themselves, without the session stack's fixtures.
OWN_STACK_DIRS = (E2E_DIR, _TESTS / "shared" / "stack")

# CI judges a submission in one run: property tests use a fixed seed there, so its verdict is reproducible and
# a new finding cannot fail an unrelated change. Local runs and FUZZ_EXAMPLES long runs keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated_template(database_admin_url: str) -> AsyncIterator[str]:
    """The name of a database migrated to the newest revision once per session, copied by ``migrated_db``.

    Running the migrations costs about 2 s a database and some 160 tests want one; a copy costs a tenth of that.
    Nothing connects to it after the migration (a copy needs the template without sessions).
    """
    name = f"tmpl_{uuid.uuid4().hex[:12]}"
    url = await create_database(database_admin_url, name)
    await upgrade_head_async(url)
    yield name
    await drop_database(database_admin_url, name)


@pytest_asyncio.fixture
async def migrated_db(fresh_database: DatabaseFactory, migrated_template: str) -> AsyncIterator[str]:
    """A new database at the newest migration (a copy of the session's migrated template); dropped after."""
    yield await fresh_database("m", template=migrated_template)


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
