"""Fixtures for the local stack: one stack per test session, plus a fresh database per test on demand."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from shared.stack import LocalStack, StackEndpoints
from shared.stack.aws import AwsEnvironment
from shared.stack.postgres import create_database, drop_database
from shared.stack.smtp import SmtpServer

__all__ = [
    "STACK_FIXTURES",
    "DatabaseFactory",
    "aws",
    "database_admin_url",
    "fresh_database",
    "kafka_bootstrap",
    "local_stack",
    "smtp_server",
    "stack_endpoints",
]

DatabaseFactory = Callable[..., Awaitable[str]]
"""``await fresh_database(prefix="t")`` -> SQLAlchemy asyncpg URL of a new, empty database
(``template="name"``: a copy of that database instead of an empty one)."""

# A test that uses any of these (directly or through another fixture) is an integration test (tests/conftest.py).
STACK_FIXTURES = frozenset(
    {
        "aws",
        "database_admin_url",
        "fresh_database",
        "kafka_bootstrap",
        "local_stack",
        "smtp_server",
        "stack_endpoints",
    }
)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def local_stack() -> AsyncIterator[LocalStack]:
    """The whole local stack, started once per session; its application database is dropped at the end."""
    database = f"complaints_test_{uuid.uuid4().hex[:10]}"
    async with LocalStack(database_name=database, drop_database_on_exit=True) as stack:
        yield stack


@pytest.fixture(scope="session")
def stack_endpoints(local_stack: LocalStack) -> StackEndpoints:
    """Endpoints of the session stack (``.env()`` gives the service environment)."""
    return local_stack.endpoints


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_endpoints: StackEndpoints) -> str:
    """Bootstrap servers of the session broker (all ``shared.topics.ALL_TOPICS`` exist)."""
    return stack_endpoints.kafka_bootstrap


@pytest.fixture(scope="session")
def database_admin_url(stack_endpoints: StackEndpoints) -> str:
    """SQLAlchemy asyncpg URL of the ``postgres`` database of the session's server."""
    return stack_endpoints.database_admin_url


@pytest.fixture(scope="session")
def aws(stack_endpoints: StackEndpoints) -> AwsEnvironment:
    """moto endpoint, region, credentials and the created queues, topic, bucket and sender."""
    return stack_endpoints.aws_environment


@pytest.fixture
def smtp_server(local_stack: LocalStack) -> SmtpServer:
    """The session SMTP server, emptied for this test (``wait_for(n)`` counts this test's mail only)."""
    assert local_stack.smtp is not None
    local_stack.smtp.clear()
    local_stack.smtp.clear_faults()
    return local_stack.smtp


@pytest_asyncio.fixture
async def fresh_database(database_admin_url: str) -> AsyncIterator[DatabaseFactory]:
    """Factory for uniquely named empty databases; all of them are dropped when the test ends."""
    created: list[str] = []

    async def make(prefix: str = "t", template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        created.append(name)
        return await create_database(database_admin_url, name, template=template)

    yield make
    for name in created:
        await drop_database(database_admin_url, name)
